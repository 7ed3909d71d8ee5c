"""Surveys, questionnaires, quotas and submissions read through the API."""

import pytest

from respondents.models import Submission
from tests.api.conftest import GOOD

pytestmark = pytest.mark.django_db


def send(client, slug="field", key="k1", **body):
    payload = {"language": "en", "answers": GOOD, **body}
    return client.post(
        f"/api/v1/surveys/{slug}/submissions/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_survey_comes_with_its_questionnaire_as_json(manager):
    response = manager.get("/api/v1/surveys/field/")
    assert response.status_code == 200
    body = response.json()
    assert body["languages"] == ["en", "ru"]
    pages = body["questionnaire"]["pages"]
    assert [p["name"] for p in pages] == ["screen", "main", "later"]
    age = pages[0]["questions"][0]
    assert (age["variable"], age["type"], age["screening"]) == (
        "age",
        "integer",
        ". >= 18 and . <= 70",
    )
    assert age["label"] == {"en": "Age", "ru": "Возраст"}
    assert pages[2]["relevant"] == "${age} > 60"


def test_quota_status_moves_when_a_submission_completes(manager):
    before = {row["cell"]: row for row in manager.get("/api/v1/surveys/field/quotas/").json()}
    assert before["south"]["target"] == 100
    assert send(manager).status_code == 201
    after = {row["cell"]: row for row in manager.get("/api/v1/surveys/field/quotas/").json()}
    # Validation ran eagerly on commit, so the slot is already judged one way or the other.
    south = after["south"]
    assert south["reserved"] + south["confirmed"] + south["released"] == 1


def test_submissions_filter_by_status_verdict_cell_and_date(manager):
    send(manager, key="a")
    send(manager, key="b", answers={"age": 80, "region": "north"})  # screened out
    send(manager, key="c", answers={**GOOD, "region": "north"})
    listed = manager.get("/api/v1/surveys/field/submissions/").json()
    assert len(listed["results"]) == 3
    statuses = manager.get("/api/v1/surveys/field/submissions/?status=screened_out").json()
    assert [row["answers"]["age"] for row in statuses["results"]] == [80]
    north = manager.get("/api/v1/surveys/field/submissions/?cell=north").json()
    assert [row["cells"][0]["cell"] for row in north["results"]] == ["north"]
    verdict = Submission.objects.filter(status="completed").first().verdict
    by_verdict = manager.get(f"/api/v1/surveys/field/submissions/?verdict={verdict}").json()
    assert all(row["verdict"] == verdict for row in by_verdict["results"])
    assert len(by_verdict["results"]) >= 1
    future = manager.get("/api/v1/surveys/field/submissions/?since=2999-01-01").json()
    assert future["results"] == []


def test_the_submission_list_pages_with_a_cursor(manager):
    for number in range(5):
        send(manager, key=f"key-{number}")
    first = manager.get("/api/v1/surveys/field/submissions/?page_size=2").json()
    assert len(first["results"]) == 2
    seen = [row["id"] for row in first["results"]]
    page = first
    while page["next"]:
        page = manager.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 5


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=finished", "status"),
        ("verdict=maybe", "verdict"),
        ("since=yesterday", "since"),
        ("cell=east", "cell"),
        ("colour=red", "colour"),
        ("since=2024-05-02&until=2024-05-01", "until"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(manager, query, field):
    response = manager.get(f"/api/v1/surveys/field/submissions/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert field in response.json()["message"]


def test_a_verdict_override_moves_the_counts_and_needs_a_reason(manager):
    pk = send(manager).json()["id"]
    url = f"/api/v1/surveys/field/submissions/{pk}/verdict/"
    refused = manager.post(url, {"verdict": "invalid", "reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    response = manager.post(
        url, {"verdict": "invalid", "reason": "interviewer error"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["verdict"], response.json()["overridden"]) == ("invalid", True)
    assert response.json()["cells"] == [{"cell": "south", "state": "released"}]
    assert Submission.objects.get(pk=pk).overrides.get().reason == "interviewer error"


def test_overriding_a_screened_out_submission_is_a_409(manager):
    pk = send(manager, answers={"age": 15, "region": "north"}).json()["id"]
    response = manager.post(
        f"/api/v1/surveys/field/submissions/{pk}/verdict/",
        {"verdict": "valid", "reason": "checked"},
        format="json",
    )
    assert response.status_code == 409
    assert "screened_out" in response.json()["message"]
