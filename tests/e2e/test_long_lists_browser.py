"""The search box of a long list, in a real browser (issue 14.4)."""

import pytest

from respondents.models import Submission
from tests.e2e.test_respondent_browser import submit
from tests.respondents.conftest import invite
from tests.respondents.test_long_lists import long_lists_survey

pytestmark = pytest.mark.django_db(transaction=True)


def test_typing_narrows_a_long_list_and_the_choice_is_stored(live_server, browser_page, make_form):
    survey = long_lists_survey(make_form)
    respondent = invite(survey)
    page = browser_page
    page.goto(f"{live_server.url}/s/{respondent.token}/")
    page.get_by_label("English").check()
    with page.expect_navigation():  # the load event: the deferred form script has run
        page.locator("button[type=submit]").click()
    page.wait_for_selector("#page-form")
    search = page.locator("[data-question=home] input[type=search]")
    search.fill("Town 42")
    search.press("Enter")  # searching does not send the page
    assert page.locator("#page-form").count() == 1
    assert page.locator("select[name=home] option").count() == 2  # the empty one and Town 42
    page.locator("select[name=home]").select_option("t42")
    boxes = page.locator("[data-question=visited] input[type=search]")
    boxes.fill("Town 5")
    visible = page.locator("[data-question=visited] .form-check:visible")
    assert visible.count() == 11  # Town 5 and Town 50 to 59
    page.get_by_label("Town 59").check()
    page.get_by_label("No").check()
    submit(page)
    answers = Submission.objects.get(respondent=respondent).answers
    assert (answers["home"], answers["visited"]) == ("t42", ["t59"])
