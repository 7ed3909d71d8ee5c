"""Skip logic with regex() in a real browser: shown and hidden as the respondent types."""

import pytest

from respondents.models import Submission
from surveys.services import survey_import_xlsform
from tests.conftest import go_live
from tests.e2e.test_respondent_browser import link, start, submit

pytestmark = pytest.mark.django_db(transaction=True)
EN = "label::English (en)"
ROWS = [
    {"type": "begin group", "name": "contact", EN: "Contact"},
    {"type": "text", "name": "phone", EN: "Your phone"},
    {
        "type": "text",
        "name": "operator",
        EN: "Which operator?",
        "relevant": r"regex(${phone}, '^\+7(70[0-9]|747)\d{7}$')",
    },
    {
        # \p{N} reads differently in JavaScript: the browser leaves this one to the server.
        "type": "text",
        "name": "digits",
        EN: "Digits only?",
        "relevant": r"regex(${phone}, '^\p{N}+$')",
    },
    {"type": "end group"},
]


def test_a_regex_relevant_shows_and_hides_without_a_reload(live_server, browser_page, make_form):
    survey = survey_import_xlsform(make_form(ROWS, (), {"form_title": "Phones"}), "phones").survey
    survey = go_live(survey)
    page = browser_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    start(page, link(live_server, survey), "English")
    operator = page.locator("[data-question=operator]")
    digits = page.locator("[data-question=digits]")
    assert operator.is_hidden() and digits.is_hidden()

    phone = page.locator("[data-question=phone] input")
    phone.fill("+77011234567")
    operator.wait_for(state="visible")
    phone.fill("+7701123456")  # one digit short
    operator.wait_for(state="hidden")
    phone.fill("+77471234567")
    operator.wait_for(state="visible")
    assert digits.is_hidden()  # left as the server decided
    page.locator("[data-question=operator] input").fill("Kcell")
    submit(page)
    assert not errors
    answers = Submission.objects.get().answers
    assert answers == {"phone": "+77471234567", "operator": "Kcell"}
