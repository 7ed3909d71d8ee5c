"""Interviews collected elsewhere, sent through the same services as web respondents."""

import datetime

import pytest
from django.utils import timezone

from api.models import IngestionKey
from respondents.models import QuotaSlot, Respondent, Submission
from respondents.panel import PanelMember
from respondents.services import panel_invite
from surveys.models import QuotaCell
from tests.api.conftest import GOOD

pytestmark = pytest.mark.django_db
URL = "/api/v1/surveys/field/submissions/"


def send(client, answers=GOOD, key="key-1", **body):
    payload = {"language": "en", "answers": answers, **body}
    return client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_valid_interview_is_stored_completed_with_its_quota_slot(
    manager, django_capture_on_commit_callbacks, eager_tasks
):
    started = timezone.now() - datetime.timedelta(minutes=12)
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        response = send(
            manager,
            started=started.isoformat(),
            ended=(started + datetime.timedelta(minutes=10)).isoformat(),
            panel_id="tab-7",
        )
    assert len(enqueued) == 1
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "completed", body
    assert body["answers"] == GOOD
    assert body["panel_id"] == "tab-7"
    assert body["idempotency_key"] == "key-1"
    assert response["Location"] == f"{URL}{body['id']}/"
    submission = Submission.objects.get(pk=body["id"])
    assert submission.pages_done == ["screen", "main"]
    # The interview's own length, not the upload's, is what quality control judges.
    assert submission.seconds == pytest.approx(600, abs=2)
    assert abs(submission.started - started) < datetime.timedelta(seconds=1)
    south = QuotaCell.objects.get(survey__slug="field", name="south")
    assert QuotaSlot.objects.filter(submission=submission, cell=south).exists()
    # Validation was enqueued on commit (and ran eagerly here): the rules judged it.
    submission.refresh_from_db()
    assert submission.verdict == "valid", submission.qc_results
    assert QuotaSlot.objects.get(submission=submission).state == "confirmed"


def test_an_invited_panel_member_is_interviewed_with_what_the_panel_knew(manager, survey):
    panel_invite(survey, [PanelMember("p-1", "ru", {"region": "north"})])
    answers = {k: v for k, v in GOOD.items() if k != "region"}
    body = send(manager, answers=answers, panel_id="p-1").json()
    assert "status" in body, body
    assert body["status"] == "completed", body
    assert body["cells"] == [{"cell": "north", "state": body["cells"][0]["state"]}]
    assert Respondent.objects.filter(survey=survey, panel_id="p-1").count() == 1


def test_a_second_interview_for_the_same_panel_id_is_a_409(manager):
    send(manager, panel_id="p-2", key="first")
    response = send(manager, panel_id="p-2", key="second")
    assert response.status_code == 409
    assert "panel_id" in response.json()["errors"]
    assert Submission.objects.count() == 1


def test_an_ineligible_age_is_screened_out_and_holds_no_slot(manager):
    body = send(manager, answers={"age": 75, "region": "south"}).json()
    assert body["status"] == "screened_out"
    assert body["cells"] == []
    assert QuotaCell.objects.get(survey__slug="field", name="south").reserved == 0


def test_an_interview_in_a_full_cell_is_over_quota(manager):
    north = {**GOOD, "region": "north"}
    assert send(manager, answers=north, key="n1").json()["status"] == "completed"
    assert send(manager, answers=north, key="n2").json()["status"] == "completed"
    third = send(manager, answers=north, key="n3").json()
    assert third["status"] == "over_quota"
    cell = QuotaCell.objects.get(survey__slug="field", name="north")
    assert cell.reserved + cell.confirmed == 2


def test_a_question_shown_by_skip_logic_is_stored(manager):
    body = send(manager, answers={**GOOD, "age": 65, "retired": "yes"}).json()
    assert body["status"] == "completed", body
    assert body["answers"]["retired"] == "yes"


@pytest.mark.parametrize(
    "answers, field, words",
    [
        ({**GOOD, "colour": "red"}, "answers.colour", "no question"),
        ({**GOOD, "age": "34"}, "answers.age", "expected an integer, got string"),
        ({**GOOD, "age": True}, "answers.age", "expected an integer, got boolean"),
        ({**GOOD, "fruit": "apple"}, "answers.fruit", "expected an array"),
        ({**GOOD, "region": "east"}, "answers.region", "east"),
        ({**GOOD, "fruit": ["apple", "plum"]}, "answers.fruit", "plum"),
        ({**GOOD, "score": 11}, "answers.score", "10"),
        ({**GOOD, "pet": "no", "petname": "Rex"}, "answers.petname", "${pet} = 'yes'"),
        ({**GOOD, "retired": "no"}, "answers.retired", "${age} > 60"),
        ({k: v for k, v in GOOD.items() if k != "pet"}, "answers.pet", "answer"),
    ],
    ids=[
        "unknown-variable",
        "string-for-integer",
        "boolean-for-integer",
        "string-for-multiple",
        "unknown-choice",
        "unknown-choice-in-multiple",
        "out-of-range",
        "hidden-by-question",
        "hidden-by-page",
        "required-missing",
    ],
)
def test_a_bad_answer_is_a_400_naming_the_field_and_stores_nothing(manager, answers, field, words):
    response = send(manager, answers=answers)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body["errors"], body
    assert words in " ".join(body["errors"][field])
    assert field in body["message"]
    assert Submission.objects.count() == 0
    assert Respondent.objects.count() == 0
    assert IngestionKey.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"language": "fr"}, "language"),
        ({"language": 5}, "language"),
        ({"answers": ["age", 34]}, "answers"),
        ({"interviewer": "me"}, "interviewer"),
        ({"started": "last tuesday"}, "started"),
        ({"ended": "2020-01-01T10:00:00Z"}, "started"),
        ({"started": "2020-01-01T10:00:00Z", "ended": "2020-01-01T09:00:00Z"}, "ended"),
        ({"started": "2999-01-01T10:00:00Z"}, "started"),
    ],
)
def test_a_bad_request_field_is_a_400_naming_it(manager, body, field):
    payload = {"language": "en", "answers": GOOD, **body}
    response = manager.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert Submission.objects.count() == 0


def test_a_request_without_an_idempotency_key_is_refused(manager):
    response = manager.post(URL, {"language": "en", "answers": GOOD}, format="json")
    assert response.status_code == 400
    assert "Idempotency-Key header" in response.json()["errors"]["Idempotency-Key"][0]
    assert Submission.objects.count() == 0


def test_the_key_comes_only_in_its_header_as_the_schema_says(manager):
    payload = {"language": "en", "answers": GOOD, "idempotency_key": "body-key"}
    response = manager.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "unknown field" in response.json()["errors"]["idempotency_key"][0]
    assert Submission.objects.count() == 0


def test_the_same_key_twice_stores_one_submission(manager):
    first = send(manager, key="same")
    second = send(manager, key="same")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Submission.objects.count() == 1
    assert QuotaCell.objects.get(survey__slug="field", name="south").slots.count() == 1


def test_the_same_key_with_other_content_is_a_409(manager):
    send(manager, key="same")
    response = send(manager, answers={**GOOD, "age": 35}, key="same")
    assert response.status_code == 409
    assert "same" in response.json()["message"]
    assert Submission.objects.count() == 1


def test_a_key_is_per_survey(manager, roles, other_survey):
    from django.contrib.auth.models import User

    from reports.models import Assignment

    Assignment.objects.create(user=User.objects.get(username="manager"), survey=other_survey)
    send(manager, key="shared")
    other = manager.post(
        "/api/v1/surveys/elsewhere/submissions/",
        {"language": "en", "answers": GOOD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    assert other.status_code == 201
    assert Submission.objects.count() == 2


def test_a_refused_interview_leaves_its_key_free(manager):
    assert send(manager, answers={**GOOD, "age": "x"}, key="retry").status_code == 400
    assert send(manager, key="retry").status_code == 201


def test_a_closed_survey_takes_no_submissions(manager, survey):
    from surveys.models import Survey

    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED)
    response = send(manager)
    assert response.status_code == 409
    assert "closed" in response.json()["message"]
