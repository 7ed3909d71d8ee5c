"""Dataset exports started, followed and fetched through the API (reports.export_jobs)."""

import csv
import io

import pytest

from tests.api.conftest import GOOD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_export_is_started_followed_and_fetched(
    manager, django_capture_on_commit_callbacks, eager_tasks
):
    for number, age in enumerate([34, 45, 75]):
        manager.post(
            "/api/v1/surveys/field/submissions/",
            {"language": "en", "answers": {**GOOD, "age": age}},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"k{number}",
        )
    with django_capture_on_commit_callbacks(execute=True):
        started = manager.post(
            "/api/v1/surveys/field/exports/",
            {"format": "csv", "valid_only": False},
            format="json",
        )
    assert started.status_code == 202, started.json()
    job = started.json()
    status = manager.get(job["status_url"]).json()
    assert (status["status"], status["ready"]) == ("done", True)
    response = manager.get(status["file_url"], HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    # Every submission (screened out included, valid_only false): three rows.
    assert sorted(row["age"] for row in rows) == ["34", "45", "75"]


def test_a_file_not_ready_yet_is_a_409_saying_so(manager):
    job = manager.post("/api/v1/surveys/field/exports/", {"format": "xlsx"}, format="json").json()
    assert job["status"] == "queued" and job["file_url"] is None
    response = manager.get(f"/api/v1/surveys/field/exports/{job['token']}/file/")
    assert response.status_code == 409
    assert "queued" in response.json()["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"format": "pdf"}, "format"),
        ({"format": "csv", "language": "fr"}, "language"),
        ({"format": "csv", "cell": "east"}, "cell"),
        ({"format": "csv", "labels": "maybe"}, "labels"),
        ({"format": "csv", "since": "soon"}, "since"),
        ({"format": "csv", "colour": "red"}, "colour"),
    ],
)
def test_bad_export_options_are_400s_naming_them(manager, body, field):
    response = manager.post("/api/v1/surveys/field/exports/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_another_surveys_export_is_a_404(roles, other_survey):
    job = (
        roles["admin"]
        .post("/api/v1/surveys/elsewhere/exports/", {"format": "csv"}, format="json")
        .json()
    )
    assert (
        roles["manager"].get(f"/api/v1/surveys/elsewhere/exports/{job['token']}/").status_code
        == 404
    )
    assert roles["manager"].get(f"/api/v1/surveys/field/exports/{job['token']}/").status_code == 404
