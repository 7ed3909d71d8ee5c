"""Edge cases of the page flow on a small form: changed answers, cleared answers, hints."""

import pytest
from django.test import Client

from respondents.models import Submission
from surveys.services import survey_import_xlsform
from tests.conftest import go_live
from tests.respondents.conftest import invite

pytestmark = pytest.mark.django_db
EN = "label::English (en)"


@pytest.fixture
def survey(make_form):
    rows = [
        {"type": "begin group", "name": "p1", EN: "One"},
        {"type": "select_one yn", "name": "q1", EN: "Do you travel?", "required": "yes"},
        {
            "type": "select_multiple colours",
            "name": "opt",
            EN: "Colours you like",
            "hint::English (en)": "<img src=x onerror=alert(1)> pick any",
        },
        {"type": "end group"},
        {"type": "begin group", "name": "p2", EN: "Two", "relevant": "${q1} = 'yes'"},
        {"type": "text", "name": "q2", EN: "Where to?", "required": "yes"},
        {"type": "end group"},
        {"type": "begin group", "name": "p3", EN: "Three"},
        {"type": "text", "name": "q3", EN: "Anything else?", "required": "yes"},
        {"type": "end group"},
    ]
    choices = [
        {"list_name": "yn", "name": "yes", EN: "Yes"},
        {"list_name": "yn", "name": "no", EN: "No"},
        {"list_name": "colours", "name": "red", EN: "Red"},
        {"list_name": "colours", "name": "blue", EN: "Blue"},
    ]
    survey = survey_import_xlsform(make_form(rows, choices), "edges").survey
    return go_live(survey)


def start(survey):
    respondent = invite(survey)
    client = Client()
    client.post(f"/s/{respondent.token}/", {"language": "en"})
    return client, respondent.token


def post(client, token, page, **data):
    return client.post(f"/s/{token}/p/{page}/", {"next": "1", **data}, follow=True)


def stored(token):
    return Submission.objects.get(respondent__token=token)


def test_a_page_brought_back_by_a_changed_answer_must_be_answered_again(survey):
    client, token = start(survey)
    post(client, token, "p1", q1="yes")
    post(client, token, "p2", q2="Almaty")
    post(client, token, "p1", q1="no")  # p2 is hidden: its answer goes
    assert "q2" not in stored(token).answers
    post(client, token, "p1", q1="yes")  # p2 is back, unanswered
    response = client.get(f"/s/{token}/p/p3/", follow=True)
    assert response.redirect_chain[-1][0].endswith("/p/p2/")
    post(client, token, "p3", q3="nothing")
    assert stored(token).status == Submission.Status.IN_PROGRESS
    post(client, token, "p2", q2="Astana")
    post(client, token, "p3", q3="nothing")
    assert stored(token).status == Submission.Status.COMPLETED
    assert stored(token).answers["q2"] == "Astana"


def test_a_cleared_optional_answer_is_gone(survey):
    client, token = start(survey)
    post(client, token, "p1", q1="no", opt=["red"])
    assert stored(token).answers["opt"] == ["red"]
    post(client, token, "p1", q1="no")
    assert "opt" not in stored(token).answers


def test_a_hint_is_shown_as_text_not_html(survey):
    client, token = start(survey)
    page = client.get(f"/s/{token}/p/p1/").content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; pick any" in page


def test_a_language_switch_to_a_page_that_does_not_exist_goes_to_the_resume_page(survey):
    client, token = start(survey)
    response = client.post(f"/s/{token}/language/", {"language": "en", "page": "a/b"})
    assert response.status_code == 302
    assert response.url.endswith("/next/")


def test_the_address_is_read_behind_a_trusted_proxy(survey, settings):
    from respondents.services import ip_hash

    settings.TRUSTED_PROXIES = 1
    respondent = invite(survey, "proxied")
    Client().post(
        f"/s/{respondent.token}/",
        {"language": "en"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1",
    )
    assert Submission.objects.get(respondent=respondent).ip_hash == ip_hash("198.51.100.1")
