"""A long choice list is a searchable select, and is answered like any other (issue 14.4)."""

import pytest
from django.test import Client

from respondents.models import Submission
from surveys.services import survey_import_xlsform
from tests.conftest import go_live
from tests.respondents.conftest import invite

pytestmark = pytest.mark.django_db
EN = "label::English (en)"
TOWNS = [{"list_name": "towns", "name": f"t{i}", EN: f"Town {i}"} for i in range(60)]


def long_lists_survey(make_form, slug="long-lists"):
    rows = [
        {"type": "begin group", "name": "p1", EN: "One"},
        {"type": "select_one towns", "name": "home", EN: "Where do you live?"},
        {"type": "select_multiple towns", "name": "visited", EN: "Where have you been?"},
        {"type": "select_one yn", "name": "short", EN: "Short list"},
        {"type": "end group"},
    ]
    choices = [
        *TOWNS,
        {"list_name": "yn", "name": "yes", EN: "Yes"},
        {"list_name": "yn", "name": "no", EN: "No"},
    ]
    survey = survey_import_xlsform(make_form(rows, choices), slug).survey
    return go_live(survey)


def test_a_long_single_choice_is_a_searchable_select_and_a_short_one_radios(make_form):
    survey = long_lists_survey(make_form)
    client = Client()
    respondent = invite(survey)
    page = client.post(f"/s/{respondent.token}/", {"language": "en"}, follow=True)
    html = page.content.decode()
    assert '<select name="home"' in html and 'data-searchable="true"' in html
    assert 'data-search-label="Search the list"' in html
    assert html.count('type="checkbox"') == 60  # the multiple choice keeps its boxes
    assert html.count('type="radio"') == 2  # the short list keeps its radios
    done = client.post(
        f"/s/{respondent.token}/p/p1/",
        {"next": "1", "home": "t42", "visited": ["t1", "t59"], "short": "no"},
        follow=True,
    )
    assert done.status_code == 200
    answers = Submission.objects.get(respondent=respondent).answers
    assert (answers["home"], answers["visited"]) == ("t42", ["t1", "t59"])


def test_a_value_not_in_the_long_list_is_refused(make_form):
    survey = long_lists_survey(make_form)
    client = Client()
    respondent = invite(survey)
    client.post(f"/s/{respondent.token}/", {"language": "en"})
    client.post(f"/s/{respondent.token}/p/p1/", {"next": "1", "home": "atlantis"})
    assert "home" not in Submission.objects.get(respondent=respondent).answers
