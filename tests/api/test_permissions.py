"""Who may do what through the API: the dashboard's roles and survey assignments."""

import pytest

from respondents.models import Submission
from tests.api.conftest import GOOD

pytestmark = pytest.mark.django_db

# What each role gets: admin sees every survey; the manager is assigned to "field"; the
# stranger manages another survey only; the viewer sees both surveys' dashboards only.
READ = {"admin": 200, "manager": 200, "stranger": 404, "viewer": 200, "anonymous": 401}
REVIEW = {"admin": 200, "manager": 200, "stranger": 404, "viewer": 403, "anonymous": 401}


@pytest.fixture
def submission(roles):
    response = roles["admin"].post(
        "/api/v1/surveys/field/submissions/",
        {"language": "en", "answers": GOOD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="seed",
    )
    assert response.status_code == 201
    return Submission.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("role", list(READ))
def test_survey_detail_and_quotas_by_role(roles, role):
    for url in ("/api/v1/surveys/field/", "/api/v1/surveys/field/quotas/"):
        response = roles[role].get(url)
        assert response.status_code == READ[role], (url, response.json())
        assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "role, slugs",
    [
        ("admin", ["elsewhere", "field"]),
        ("manager", ["field"]),
        ("stranger", ["elsewhere"]),
        ("viewer", ["elsewhere", "field"]),
    ],
)
def test_the_survey_list_holds_only_the_users_surveys(roles, role, slugs):
    response = roles[role].get("/api/v1/surveys/")
    assert [row["slug"] for row in response.json()] == slugs


def test_anonymous_gets_a_401_saying_how_to_authenticate(roles):
    response = roles["anonymous"].get("/api/v1/surveys/")
    assert response.status_code == 401
    assert "Token" in response["WWW-Authenticate"]
    assert "api_token" in response.json()["message"]


@pytest.mark.parametrize("role", list(REVIEW))
def test_submission_list_and_detail_by_role(roles, role, submission):
    for url in (
        "/api/v1/surveys/field/submissions/",
        f"/api/v1/surveys/field/submissions/{submission.pk}/",
    ):
        response = roles[role].get(url)
        assert response.status_code == REVIEW[role], (url, response.json())


@pytest.mark.parametrize("role", list(REVIEW))
def test_ingestion_by_role(roles, role):
    response = roles[role].post(
        "/api/v1/surveys/field/submissions/",
        {"language": "en", "answers": GOOD},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"by-{role}",
    )
    assert response.status_code == {**REVIEW, "admin": 201, "manager": 201}[role]
    stored = Submission.objects.filter(ingestion_key__key=f"by-{role}").exists()
    assert stored == (role in ("admin", "manager"))


@pytest.mark.parametrize("role", list(REVIEW))
def test_verdict_override_by_role(roles, role, submission):
    response = roles[role].post(
        f"/api/v1/surveys/field/submissions/{submission.pk}/verdict/",
        {"verdict": "invalid", "reason": "checked by phone"},
        format="json",
    )
    assert response.status_code == REVIEW[role]
    submission.refresh_from_db()
    assert submission.overridden == (REVIEW[role] == 200)


def test_a_forbidden_write_says_which_role_it_needs(roles):
    response = roles["viewer"].post(
        "/api/v1/surveys/field/submissions/",
        {"language": "en", "answers": GOOD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 403
    assert "field manager" in response.json()["message"]


def test_a_submission_of_another_survey_is_a_404_through_this_one(roles, other_survey):
    other = roles["admin"].post(
        "/api/v1/surveys/elsewhere/submissions/",
        {"language": "en", "answers": GOOD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="other",
    )
    response = roles["manager"].get(f"/api/v1/surveys/field/submissions/{other.json()['id']}/")
    assert response.status_code == 404


def test_an_unknown_survey_and_an_unassigned_one_look_the_same(roles):
    unknown = roles["stranger"].get("/api/v1/surveys/nowhere/")
    unassigned = roles["stranger"].get("/api/v1/surveys/field/")
    assert unknown.status_code == unassigned.status_code == 404
    assert unknown.json()["code"] == unassigned.json()["code"] == "not_found"


@pytest.mark.parametrize("role", list(REVIEW))
def test_starting_an_export_by_role(roles, role):
    response = roles[role].post("/api/v1/surveys/field/exports/", {"format": "csv"}, format="json")
    assert response.status_code == {**REVIEW, "admin": 202, "manager": 202}[role]


def test_panel_ids_are_shown_only_to_roles_that_may_export_identifiers(roles, survey):
    from django.contrib.auth.models import Group, Permission

    from tests.api.conftest import client_for, user_with

    reviewers = Group.objects.create(name="Reviewers only")
    reviewers.permissions.set(
        Permission.objects.filter(codename__in=["view_dashboard", "review_submissions"])
    )
    reviewer = user_with("Reviewers only", survey, name="reviewer")
    pk = (
        roles["manager"]
        .post(
            "/api/v1/surveys/field/submissions/",
            {"language": "en", "answers": GOOD, "panel_id": "p-77"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="pid",
        )
        .json()["id"]
    )
    url = f"/api/v1/surveys/field/submissions/{pk}/"
    assert roles["manager"].get(url).json()["panel_id"] == "p-77"
    assert client_for(reviewer).get(url).json()["panel_id"] is None
