import csv
import io
import re

import openpyxl
import pyreadstat
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client

from fieldwork.errors import Refused
from reports import export_jobs
from reports.access import FIELD_MANAGERS, VIEWERS
from reports.models import ExportJob
from reports.tasks import build_export
from surveys.models import Survey
from tests.reports.test_dashboard import login
from tests.reports.test_exports import valid_count

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path, eager_tasks):
    """Files in a folder of the test's own; jobs built in process even with a broker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def manager(survey) -> User:
    client = login(FIELD_MANAGERS, survey)
    return User.objects.get(pk=client.session["_auth_user_id"])


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def start(user, survey, fmt="csv", options=None, capture=None) -> ExportJob:
    with capture(execute=True):
        job = export_jobs.export_start(user, survey, fmt, options or {})
    job.refresh_from_db()
    return job


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# The service


def test_a_started_job_runs_through_the_task_and_its_csv_has_the_valid_count(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks
):
    job = start(
        manager(kazakhstan_fieldwork),
        kazakhstan_fieldwork,
        capture=django_capture_on_commit_callbacks,
    )
    assert job.status == "done" and job.finished and job.attempts == 1
    with export_jobs.export_file(job).file as handle:
        rows = read_csv(handle.read())
    assert len(rows) == valid_count(kazakhstan_fieldwork) > 0
    assert job.rows_written == job.rows_total == len(rows)
    assert {row["verdict"] for row in rows} == {"valid"}


def test_an_xlsx_job_reads_back_with_openpyxl_and_labels_in_kazakh(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks
):
    job = start(
        manager(kazakhstan_fieldwork),
        kazakhstan_fieldwork,
        "xlsx",
        {"labels": True, "language": "kk"},
        capture=django_capture_on_commit_callbacks,
    )
    with export_jobs.export_file(job).file as handle:
        sheet = openpyxl.load_workbook(handle, read_only=True)["data"]
        rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) - 1 == valid_count(kazakhstan_fieldwork)
    region = rows[0].index("region")
    assert any("облысы" in (row[region] or "") for row in rows[1:])


def test_a_sav_job_reads_back_with_pyreadstat_in_russian(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks, tmp_path
):
    job = start(
        manager(kazakhstan_fieldwork),
        kazakhstan_fieldwork,
        "sav",
        {"language": "ru"},
        capture=django_capture_on_commit_callbacks,
    )
    copy = tmp_path / "copy.sav"
    with export_jobs.export_file(job).file as handle:
        copy.write_bytes(handle.read())
    frame, meta = pyreadstat.read_sav(str(copy))
    assert len(frame) == valid_count(kazakhstan_fieldwork)
    assert meta.variable_value_labels["work_willing"][1] == "Полностью готов(а)"


def test_progress_is_reported_every_n_rows_and_reaches_the_total(kazakhstan_fieldwork, monkeypatch):
    job = ExportJob.objects.create(
        user=manager(kazakhstan_fieldwork), survey=kazakhstan_fieldwork, format="csv"
    )
    seen = []
    report = export_jobs._progress

    def spy(job_id, done, total):
        report(job_id, done, total)
        seen.append(ExportJob.objects.values_list("rows_written", "rows_total").get(pk=job_id))

    monkeypatch.setattr(export_jobs, "_progress", spy)
    export_jobs.export_run(job.pk, progress_every=10)
    total = valid_count(kazakhstan_fieldwork)
    assert seen[0] == (0, total)
    assert [done for done, _ in seen[1:-1]] == list(range(10, total + 1, 10))
    assert seen[-1] == (total, total)
    job.refresh_from_db()
    assert export_jobs.export_status(job)["percent"] == 100


def test_running_a_done_job_again_changes_nothing(kazakhstan_fieldwork, media):
    job = ExportJob.objects.create(
        user=manager(kazakhstan_fieldwork), survey=kazakhstan_fieldwork, format="csv"
    )
    build_export.delay(job.pk)
    job.refresh_from_db()
    first = (job.file.name, job.finished, job.attempts)
    assert build_export.delay(job.pk).get() == "done"
    job.refresh_from_db()
    assert (job.file.name, job.finished, job.attempts) == first
    assert len(stored_files(media)) == 1


def test_a_job_left_running_by_a_dead_worker_is_built_again(kazakhstan_fieldwork, media):
    job = ExportJob.objects.create(
        user=manager(kazakhstan_fieldwork), survey=kazakhstan_fieldwork, format="csv"
    )
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=1, rows_written=40)
    # what the dead worker stored before it could mark the job done
    leftover = media / "exports" / kazakhstan_fieldwork.slug / f"{job.pk}-{job.token[:12]}.csv"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("half a file")
    build_export.delay(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2
    with export_jobs.export_file(job).file as handle:
        assert len(read_csv(handle.read())) == valid_count(kazakhstan_fieldwork)
    assert stored_files(media) == [leftover]


def test_a_failure_is_recorded_with_its_message_and_leaves_no_file(
    kazakhstan_fieldwork, media, monkeypatch
):
    job = ExportJob.objects.create(
        user=manager(kazakhstan_fieldwork), survey=kazakhstan_fieldwork, format="xlsx"
    )
    written = []

    def broken(cols, rows, path):
        path.write_bytes(b"PK half a workbook")
        written.append(path)
        raise OSError("No space left on device")

    monkeypatch.setattr("reports.exports.write_xlsx", broken)
    assert build_export.delay(job.pk).get() == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and job.finished
    assert "No space left on device" in job.error
    assert not job.file and stored_files(media) == []
    assert written and not written[0].exists()
    assert export_jobs.export_status(job)["error"] == job.error
    assert build_export.delay(job.pk).get() == "failed"  # a failed job is not run again


def test_tokens_are_long_random_and_distinct(kazakhstan_fieldwork):
    user = manager(kazakhstan_fieldwork)
    tokens = {ExportJob.objects.create(user=user, survey=kazakhstan_fieldwork, format="csv").token}
    tokens |= {ExportJob.objects.create(user=user, survey=kazakhstan_fieldwork, format="csv").token}
    assert len(tokens) == 2
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)


def test_the_service_answers_with_data_not_http_responses(kazakhstan_fieldwork):
    """Views decide what a missing or unfinished export looks like; the service says which."""
    user = manager(kazakhstan_fieldwork)
    job = ExportJob.objects.create(user=user, survey=kazakhstan_fieldwork, format="csv")
    assert export_jobs.export_job_for(user, job.token, kazakhstan_fieldwork) == job
    assert export_jobs.export_job_for(user, "not a token\x00") is None
    assert export_jobs.export_job_for(user, "A" * 43) is None
    assert export_jobs.export_file(job) is None  # still pending: nothing to send yet


def test_a_viewer_cannot_start_an_export(kazakhstan_fieldwork):
    viewer = User.objects.get(pk=login(VIEWERS, kazakhstan_fieldwork).session["_auth_user_id"])
    with pytest.raises(PermissionDenied):
        export_jobs.export_start(viewer, kazakhstan_fieldwork, "csv", {})
    assert not ExportJob.objects.exists()


def test_bad_options_are_refused_with_every_reason(kazakhstan_fieldwork):
    with pytest.raises(Refused) as caught:
        export_jobs.export_start(
            manager(kazakhstan_fieldwork),
            kazakhstan_fieldwork,
            "pdf",
            {"language": "fr", "since": "2024-07-01", "until": "2024-06-01", "cell": "mars"},
        )
    text = "\n".join(caught.value.errors)
    assert "Unknown format pdf" in text
    assert "fr is not a language of this survey" in text
    assert "ends before it starts" in text
    assert "mars is not a quota cell" in text
    assert not ExportJob.objects.exists()


# The dashboard


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_viewer_sees_no_export_page_and_cannot_download(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks
):
    job = start(
        manager(kazakhstan_fieldwork),
        kazakhstan_fieldwork,
        capture=django_capture_on_commit_callbacks,
    )
    viewer = login(VIEWERS, kazakhstan_fieldwork)
    base = f"/manage/{kazakhstan_fieldwork.slug}/export/"
    assert viewer.get(base).status_code == 404
    assert viewer.post(base, {"format": "csv", "scope": "valid"}).status_code == 404
    assert viewer.get(f"{base}{job.token}/").status_code == 404
    assert viewer.get(f"{base}{job.token}/status/").status_code == 404
    assert viewer.get(f"{base}{job.token}/download/").status_code == 404
    assert ExportJob.objects.count() == 1


def test_another_surveys_manager_gets_404_even_with_the_token(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks
):
    job = start(
        manager(kazakhstan_fieldwork),
        kazakhstan_fieldwork,
        capture=django_capture_on_commit_callbacks,
    )
    china = Survey.objects.get(slug="gt2024-china")
    other = login(FIELD_MANAGERS, china)
    assert other.get(f"/manage/{kazakhstan_fieldwork.slug}/export/").status_code == 404
    assert (
        other.get(f"/manage/{kazakhstan_fieldwork.slug}/export/{job.token}/download/").status_code
        == 404
    )
    # the token under a survey the manager may export is no key either
    assert other.get(f"/manage/{china.slug}/export/{job.token}/download/").status_code == 404
    assert other.get(f"/manage/{china.slug}/export/{job.token}/status/").status_code == 404


def test_a_manager_whose_assignment_ends_can_no_longer_download(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks
):
    user = manager(kazakhstan_fieldwork)
    job = start(user, kazakhstan_fieldwork, capture=django_capture_on_commit_callbacks)
    url = f"/manage/{kazakhstan_fieldwork.slug}/export/{job.token}/download/"
    assert client_for(user).get(url).status_code == 200
    user.assignments.all().delete()
    assert client_for(user).get(url).status_code == 404


def test_a_wrong_token_is_404(kazakhstan_fieldwork, django_capture_on_commit_callbacks):
    user = manager(kazakhstan_fieldwork)
    job = start(user, kazakhstan_fieldwork, capture=django_capture_on_commit_callbacks)
    client = client_for(user)
    base = f"/manage/{kazakhstan_fieldwork.slug}/export/"
    wrong = job.token[:-1] + ("A" if job.token[-1] != "A" else "B")
    assert client.get(f"{base}{wrong}/download/").status_code == 404
    assert client.get(f"{base}{wrong}/status/").status_code == 404
    assert client.get(f"{base}{job.pk}/download/").status_code == 404


def test_a_small_csv_streams_straight_to_the_browser(kazakhstan_fieldwork):
    client = login(FIELD_MANAGERS, kazakhstan_fieldwork)
    response = client.post(
        f"/manage/{kazakhstan_fieldwork.slug}/export/",
        {"format": "csv", "language": "ru", "labels": "on", "scope": "valid", "bom": "on"},
    )
    assert response.status_code == 200 and response.streaming
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data)
    assert len(rows) == valid_count(kazakhstan_fieldwork)
    assert any(row["region"].endswith("область") for row in rows)
    assert not ExportJob.objects.exists()


def test_a_large_csv_becomes_a_job_with_progress_and_a_download_link(
    kazakhstan_fieldwork, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_STREAM_MAX_ROWS = 5
    client = login(FIELD_MANAGERS, kazakhstan_fieldwork)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/manage/{kazakhstan_fieldwork.slug}/export/",
            {"format": "csv", "language": "kk", "scope": "all"},
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.token in response.url
    page = client.get(response.url).content.decode()
    assert (
        f'data-status-url="/manage/{kazakhstan_fieldwork.slug}/export/{job.token}/status/"' in page
    )
    assert "<script>" not in page and "style=" not in page and "onclick" not in page
    status = client.get(f"/manage/{kazakhstan_fieldwork.slug}/export/{job.token}/status/").json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["rows_written"] == status["rows_total"]
    download = client.get(status["download_url"])
    rows = read_csv(b"".join(download.streaming_content))
    assert len(rows) == status["rows_total"] > valid_count(kazakhstan_fieldwork)
    assert "csv" in download["Content-Disposition"]


def test_xlsx_from_the_dashboard_is_always_a_job(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks
):
    client = login(FIELD_MANAGERS, kazakhstan_fieldwork)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/manage/{kazakhstan_fieldwork.slug}/export/",
            {"format": "xlsx", "language": "ru", "scope": "valid"},
        )
    assert response.status_code == 302
    assert ExportJob.objects.get().status == "done"


def test_bad_form_input_is_answered_with_a_message(kazakhstan_fieldwork):
    client = login(FIELD_MANAGERS, kazakhstan_fieldwork)
    response = client.post(
        f"/manage/{kazakhstan_fieldwork.slug}/export/",
        {
            "format": "csv",
            "language": "ru",
            "scope": "valid",
            "since": "2024-07-01",
            "until": "2024-06-01",
        },
    )
    assert response.status_code == 200
    assert "ends before it starts" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_the_export_page_lists_only_my_recent_exports(
    kazakhstan_fieldwork, django_capture_on_commit_callbacks
):
    mine, theirs = manager(kazakhstan_fieldwork), manager(kazakhstan_fieldwork)
    job = start(mine, kazakhstan_fieldwork, "xlsx", capture=django_capture_on_commit_callbacks)
    other = start(theirs, kazakhstan_fieldwork, "sav", capture=django_capture_on_commit_callbacks)
    page = client_for(mine).get(f"/manage/{kazakhstan_fieldwork.slug}/export/").content.decode()
    assert f"/export/{job.token}/download/" in page
    assert other.token not in page


def test_junk_in_a_download_token_is_a_plain_404(kazakhstan_fieldwork):
    client = login(FIELD_MANAGERS, kazakhstan_fieldwork)
    for token in ("a%00b" + "c" * 38, "x" * 44, "<script>", "%ff" * 10):
        for suffix in ("", "status/", "download/"):
            url = f"/manage/{kazakhstan_fieldwork.slug}/export/{token}/{suffix}"
            assert client.get(url).status_code == 404, url


def test_a_job_whose_worker_keeps_dying_is_failed_not_rebuilt_forever(kazakhstan_fieldwork, media):
    job = ExportJob.objects.create(
        user=manager(kazakhstan_fieldwork), survey=kazakhstan_fieldwork, format="sav"
    )
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=export_jobs.MAX_ATTEMPTS)
    assert build_export.delay(job.pk).get() == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "3 times" in job.error
    assert job.attempts == export_jobs.MAX_ATTEMPTS and stored_files(media) == []
