"""Cascading selects and a roster in a real browser (issue 16.1): the browser offers only
the districts of the region chosen and adds and removes entries without a reload; the
server stores what it decides."""

import pytest

from respondents.models import Submission
from surveys.services import survey_import_xlsform
from tests.conftest import go_live
from tests.e2e.test_respondent_browser import submit
from tests.respondents.conftest import invite
from tests.respondents.test_form_features import CHOICES, ROWS, SETTINGS

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_browser_filters_choices_and_adds_and_removes_entries(
    live_server, browser_page, make_form, axe
):
    survey = survey_import_xlsform(make_form(ROWS, CHOICES, SETTINGS), "household").survey
    survey = go_live(survey)
    respondent = invite(survey, "browser-1")
    page = browser_page
    page.goto(f"{live_server.url}/s/{respondent.token}/")
    page.get_by_label("English").check()
    with page.expect_navigation():  # the load event: the deferred form script has run
        page.locator("button[type=submit]").click()
    page.wait_for_selector("#page-form")
    districts = page.locator("[data-question=district] .form-check:visible")
    assert districts.count() == 0  # no region yet: no district offered
    page.get_by_label("South", exact=True).check()
    assert [label.strip() for label in districts.all_inner_texts()] == ["South One", "South Two"]
    page.get_by_label("South Two").check()
    assert page.locator("[data-question=village] .form-check:visible").all_inner_texts() == [
        "Village B"
    ]
    page.get_by_label("North", exact=True).check()  # South Two is no longer offered
    assert page.get_by_label("South Two").is_checked() is False
    page.get_by_label("North One").check()
    assert axe(page) == []
    submit(page)
    submit(page)  # the times are not required

    entries = page.locator("[data-entries] > [data-entry]")
    assert entries.count() == 1
    page.locator("[data-repeat-add]").click()
    page.locator("[data-repeat-add]").click()
    assert entries.count() == 3
    assert entries.nth(2).locator("[data-entry-title]").inner_text() == "Entry 3"
    for number, (name, age) in enumerate([("Aru", "50"), ("Bek", "7"), ("Cem", "20")]):
        entries.nth(number).get_by_label("Name", exact=False).fill(name)
        entries.nth(number).get_by_label("Age").fill(age)
    # Whether Bek works is not asked: he is 7.
    assert entries.nth(1).locator("[data-question=works]").is_hidden()
    assert entries.nth(0).locator("[data-question=works]").is_visible()
    entries.nth(0).get_by_label("Yes").check()
    entries.nth(1).locator("[data-repeat-remove]").click()
    assert entries.count() == 2
    assert entries.nth(1).locator("[data-entry-title]").inner_text() == "Entry 2"
    assert axe(page) == []
    submit(page)
    answers = Submission.objects.get(respondent=respondent).answers
    assert answers["district"] == "n1" and "village" not in answers
    assert answers["members"] == [
        {"mname": "Aru", "mage": 50, "works": "yes"},
        {"mname": "Cem", "mage": 20},
    ]
    assert answers["size"] == 2
    assert "You told us about 2 people in North." in page.content()
