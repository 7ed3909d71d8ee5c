"""A regex() constraint holds for interviews sent through the API as on the web."""

import pytest

from reports.access import FIELD_MANAGERS
from respondents.models import Submission
from surveys.services import survey_import_xlsform
from tests.api.conftest import client_for, user_with
from tests.conftest import go_live
from tests.respondents.test_regex import ROWS, SETTINGS

pytestmark = pytest.mark.django_db
URL = "/api/v1/surveys/phones/submissions/"


@pytest.fixture
def manager(make_form):
    survey = survey_import_xlsform(make_form(ROWS, (), SETTINGS), "phones").survey
    go_live(survey)
    return client_for(user_with(FIELD_MANAGERS, survey, name="manager"))


def send(client, answers, key):
    payload = {"language": "en", "answers": answers}
    return client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_an_answer_the_pattern_refuses_is_a_400_with_the_message(manager):
    response = send(manager, {"phone": "+7 701 123 45 67"}, "k1")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]["answers.phone"]
    assert "A phone number: +7 and ten digits" in " ".join(errors)
    assert Submission.objects.count() == 0


def test_a_matching_answer_is_stored_and_skip_logic_by_regex_holds(manager):
    response = send(manager, {"phone": "+77011234567", "operator": "Kcell"}, "k2")
    assert response.status_code == 201, response.json()
    assert Submission.objects.get().answers == {"phone": "+77011234567", "operator": "Kcell"}

    hidden = send(manager, {"phone": "+77781234567", "operator": "Kcell"}, "k3")
    assert hidden.status_code == 400, hidden.json()
    assert "answers.operator" in hidden.json()["errors"]
