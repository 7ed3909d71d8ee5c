"""regex() constraints and skip logic, decided on the server (RE2) in the web flow."""

import pytest

from respondents.models import Submission
from surveys.services import survey_import_xlsform
from tests.conftest import go_live
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db

EN = "label::English (en)"
PHONE = r"regex(., '^\+7[0-9]{10}$')"
ROWS = [
    {"type": "begin group", "name": "contact", EN: "Contact"},
    {
        "type": "text",
        "name": "phone",
        EN: "Your phone",
        "required": "yes",
        "constraint": PHONE,
        "constraint_message::English (en)": "A phone number: +7 and ten digits",
    },
    {"type": "end group"},
    {"type": "begin group", "name": "more", EN: "More"},
    {
        "type": "text",
        "name": "operator",
        EN: "Which operator?",
        "relevant": r"regex(${phone}, '^\+7(70[0-9]|747)')",
    },
    {"type": "text", "name": "comment", EN: "Anything else?"},
    {"type": "end group"},
]
SETTINGS = {"form_title": "Phones"}


@pytest.fixture
def survey(make_form):
    survey = survey_import_xlsform(make_form(ROWS, (), SETTINGS), "phones").survey
    return go_live(survey)


def test_an_answer_the_pattern_refuses_stays_on_its_page_with_the_message(survey):
    person = Respondent_(invite(survey))
    person.start("en")
    response = person.answer("contact", phone="8 701 123 45 67")
    assert not response.redirect_chain  # the page is shown again, refused
    assert "A phone number: +7 and ten digits" in response.content.decode()
    assert "phone" not in person.submission.answers

    response = person.answer("contact", phone="+77011234567")
    assert person.current_page(response) == "more"
    assert person.submission.answers["phone"] == "+77011234567"


@pytest.mark.parametrize(
    ("phone", "asked"),
    [("+77011234567", True), ("+77471234567", True), ("+77781234567", False)],
)
def test_skip_logic_with_regex_is_decided_on_the_server(survey, phone, asked):
    person = Respondent_(invite(survey, panel_id=phone))
    person.finish("en", phone=phone, operator="Beeline", comment="none")
    answers = Submission.objects.get(respondent=person.respondent).answers
    assert answers["phone"] == phone
    assert ("operator" in answers) is asked


def test_a_catastrophic_pattern_on_a_long_answer_is_decided(make_form):
    rows = [
        {
            "type": "text",
            "name": "word",
            EN: "A word",
            "constraint": "regex(., '^(a+)+$')",
            "constraint_message::English (en)": "Only the letter a",
        },
    ]
    survey = survey_import_xlsform(make_form(rows, (), SETTINGS), "long").survey
    survey = go_live(survey)
    person = Respondent_(invite(survey))
    response = person.start("en")
    page = person.current_page(response)
    # 1,000 characters is a text answer's limit: a backtracking engine would try 2^999 ways.
    response = person.answer(page, word="a" * 999 + "!")
    assert not response.redirect_chain
    assert "Only the letter a" in response.content.decode()
    response = person.answer(page, word="a" * 1000)
    assert 'data-end="completed"' in response.content.decode()
    assert person.submission.answers["word"] == "a" * 1000
