"""What a field manager sees of the interviewers' work: rejected instances, per interviewer
and per mode on the dashboard, and the interviewer in the exports."""

import csv
import io

import pytest
from django.core.management import call_command

from openrosa.models import ReceivedInstance
from reports.access import FIELD_MANAGERS, VIEWERS
from respondents.models import Submission
from respondents.simulation import Mix, simulate_fieldwork
from surveys.services import survey_questionnaire_changed
from tests.openrosa.conftest import instance_xml, interviewer, send, tablet
from tests.reports.test_dashboard import login

pytestmark = pytest.mark.django_db

FORM = "/openrosa/forms/gt2024-kazakhstan/form.xml"


def screened_out(client, instance_id: str, xform: str | None = None) -> str:
    """Send a short interview (screened out at the first page) and return its XML."""
    xform = xform or client.get(FORM).content.decode()
    xml = instance_xml(
        xform,
        {"age": 16, "gender": "male", "region": "astana"},
        instance_id,
        start="2026-12-03T09:00:00.000+05:00",
        end="2026-12-03T09:04:00.000+05:00",
    )
    return xml


def test_a_rejected_instance_is_listed_and_processed_again_with_the_current_form(kazakhstan):
    client = tablet(interviewer("amina", kazakhstan))
    old = client.get(FORM).content.decode()
    choice = kazakhstan.choice_lists.get(name="gender").choices.first()
    choice.label = {**choice.label, "ru": choice.label["ru"] + "."}
    choice.save()
    survey_questionnaire_changed(kazakhstan)
    assert send(client, screened_out(client, "uuid:old", old)).status_code == 202
    manager = login(FIELD_MANAGERS, kazakhstan)
    page = manager.get("/manage/gt2024-kazakhstan/tablets/").content.decode()
    assert 'data-instance="uuid:old"' in page
    assert "of the form; the current version is" in page
    assert "amina" in page
    kept = ReceivedInstance.objects.get()
    response = manager.post(
        "/manage/gt2024-kazakhstan/tablets/again/", {"instance": [kept.pk]}, follow=True
    )
    assert "1 instance processed again and stored." in response.content.decode()
    kept.refresh_from_db()
    assert kept.state == "accepted" and kept.attempts == 2 and kept.reason == ""
    assert kept.submission.status == "screened_out"
    assert kept.submission.interviewer.username == "amina"
    # Sent again from the tablet, it is already stored.
    assert send(client, kept.xml).status_code == 201
    assert Submission.objects.filter(mode="capi").count() == 1


def test_a_viewer_cannot_see_the_tablets_page(kazakhstan):
    viewer = login(VIEWERS, kazakhstan)
    assert viewer.get("/manage/gt2024-kazakhstan/tablets/").status_code == 404


def test_the_dashboard_shows_completes_per_mode_and_per_interviewer(
    kazakhstan, django_capture_on_commit_callbacks, eager_tasks
):
    call_command("simulate_fieldwork", "gt2024-kazakhstan", "--respondents", "6", "--seed", "3")
    web = Submission.objects.filter(status="completed").select_related("respondent")
    amina, bolat = interviewer("amina", kazakhstan), interviewer("bolat", kazakhstan)
    for number, submission in enumerate(web[:3]):
        who = amina if number < 2 else bolat
        client = tablet(who)
        answers = {**submission.respondent.known, **submission.answers}
        xml = instance_xml(
            client.get(FORM).content.decode(),
            answers,
            f"uuid:{number}",
            start=f"2026-12-03T{10 + number}:00:00.000+05:00",
            end=f"2026-12-03T{10 + number}:20:00.000+05:00",
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert send(client, xml).status_code == 201
    manager = login(FIELD_MANAGERS, kazakhstan)
    page = manager.get("/manage/gt2024-kazakhstan/").content.decode()
    web_completes = web.filter(mode="web").count()
    assert (
        '<tr data-mode="web"><td>Web (self-completed)</td>'
        f'<td class="text-end">{web_completes}</td></tr>' in page
    )
    assert (
        '<tr data-mode="capi"><td>Interviewer (CAPI, ODK Collect)</td>'
        '<td class="text-end">3</td></tr>' in page
    )
    amina_row = page.split('data-interviewer="amina"')[1].split("</tr>")[0]
    assert '<td class="text-end" data-count="completed">2</td>' in amina_row
    assert "20.0" in amina_row  # mean interview, minutes
    assert 'data-rule="interviewer_pattern">0<' in amina_row
    bolat_row = page.split('data-interviewer="bolat"')[1].split("</tr>")[0]
    assert '<td class="text-end" data-count="completed">1</td>' in bolat_row


def test_the_dataset_says_how_and_by_whom_each_interview_was_taken(kazakhstan, tmp_path):
    client = tablet(interviewer("amina", kazakhstan))
    assert send(client, screened_out(client, "uuid:x")).status_code == 201
    call_command("simulate_fieldwork", "gt2024-kazakhstan", "--respondents", "2", "--seed", "5")
    out = tmp_path / "kz.csv"
    call_command("export", "gt2024-kazakhstan", "--format", "csv", "--all", "--output", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    by_mode = {(row["mode"], row["interviewer"]) for row in rows}
    assert ("capi", "amina") in by_mode
    assert ("web", "") in by_mode


def completed_answers(survey, n: int, seed: int) -> list[dict]:
    """Answers of well-behaved web respondents: nothing but the interviewer rules to fail."""
    honest = Mix(speeder=0, straightliner=0, inattentive=0, duplicate=0, masher=0, ineligible=0)
    simulate_fieldwork(survey, n + 2, seed=seed, mix=honest)
    web = Submission.objects.filter(status="completed").select_related("respondent")
    answers = [{**s.respondent.known, **s.answers} for s in web]
    assert len(answers) >= n
    return answers[:n]


def test_interviews_back_to_back_all_morning_fail_the_pace_rule(
    kazakhstan, django_capture_on_commit_callbacks, eager_tasks
):
    client = tablet(interviewer("amina", kazakhstan))
    xform = client.get(FORM).content.decode()
    for k, answers in enumerate(completed_answers(kazakhstan, 6, seed=21)):
        # 15-minute interviews, each begun 2 minutes after the last one ended.
        start = 9 * 60 + 17 * k
        xml = instance_xml(
            xform,
            answers,
            f"uuid:pace-{k}",
            start=f"2026-12-03T{start // 60:02}:{start % 60:02}:00.000+05:00",
            end=f"2026-12-03T{(start + 15) // 60:02}:{(start + 15) % 60:02}:00.000+05:00",
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert send(client, xml).status_code == 201
    last = ReceivedInstance.objects.get(instance_id="uuid:pace-5").submission
    assert last.verdict == "invalid"
    assert last.qc_results["interviewer_pace"]["reason"] == (
        "one of 6 interviews by the same interviewer each starting at most 3 min after the "
        "last ended, 04:00 UTC to 05:40 UTC"
    )
    page = login(FIELD_MANAGERS, kazakhstan).get("/manage/gt2024-kazakhstan/").content.decode()
    row = page.split('data-interviewer="amina"')[1].split("</tr>")[0]
    assert 'data-rule="interviewer_pace">1<' in row


def test_an_interview_copied_from_another_fails_the_pattern_rule(
    kazakhstan, django_capture_on_commit_callbacks, eager_tasks
):
    client = tablet(interviewer("amina", kazakhstan))
    xform = client.get(FORM).content.decode()
    [answers] = completed_answers(kazakhstan, 1, seed=22)
    for k, hour in enumerate((10, 14)):
        xml = instance_xml(
            xform,
            answers,
            f"uuid:copy-{k}",
            start=f"2026-12-03T{hour}:00:00.000+05:00",
            end=f"2026-12-03T{hour}:25:00.000+05:00",
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert send(client, xml).status_code == 201
    first = ReceivedInstance.objects.get(instance_id="uuid:copy-0").submission
    second = ReceivedInstance.objects.get(instance_id="uuid:copy-1").submission
    assert first.qc_results["interviewer_pattern"]["passed"]
    assert not second.qc_results["interviewer_pattern"]["passed"]
    shared = len([v for v in second.answers.values() if v not in (None, "", [])])
    assert second.qc_results["interviewer_pattern"]["reason"] == (
        f"{shared} of {shared} answers as in submission {first.pk} by the same interviewer"
    )


def test_the_api_says_how_and_by_whom_each_interview_was_taken(kazakhstan):
    from tests.api.conftest import client_for, user_with

    client = tablet(interviewer("amina", kazakhstan))
    assert send(client, screened_out(client, "uuid:api")).status_code == 201
    api = client_for(user_with(FIELD_MANAGERS, kazakhstan, name="boss"))
    [row] = api.get("/api/v1/surveys/gt2024-kazakhstan/submissions/").json()["results"]
    assert (row["mode"], row["interviewer"], row["status"]) == ("capi", "amina", "screened_out")
