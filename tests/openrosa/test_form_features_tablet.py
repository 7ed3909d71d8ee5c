"""A form with the features real forms use (issue 16), interviewed on a tablet.

The household form of tests/respondents/test_form_features.py has metadata, a
calculation shown in a label and read by skip logic, times, cascading selects and a
roster (a repeat). ODK's own engine fills the XForm we serve, and what it sends is stored
as the REST API stores the same interview: the roster as a list of entries, the metadata
and the calculation as the server makes them, whatever the tablet computed.
"""

import datetime
import re

import pytest

from openrosa.instances import instance_contents, instance_parse
from openrosa.models import ReceivedInstance
from openrosa.xform import xform_of
from respondents.models import Submission
from surveys.questionnaire import questionnaire_of
from surveys.services import survey_import_xlsform
from tests.conftest import go_live
from tests.openrosa.conftest import instance_xml, interviewer, odk_fill, send, tablet
from tests.respondents.test_form_features import API_ANSWERS, CHOICES, ROWS, SETTINGS

pytestmark = pytest.mark.django_db
FORM = "/openrosa/forms/household/form.xml"


@pytest.fixture
def household(make_form):
    return go_live(survey_import_xlsform(make_form(ROWS, CHOICES, SETTINGS), "household").survey)


def test_a_roster_filled_by_odk_s_engine_is_stored_as_its_entries(household):
    collector = interviewer("dana", household)
    client = tablet(collector)
    xform = client.get(FORM)
    assert xform.status_code == 200
    # The form's own start, end and device questions record the interview: none added.
    assert xform.content.decode().count('jr:preload="timestamp"') == 2
    # Times as ODK Collect writes them: milliseconds and the tablet's offset.
    interview = {
        **API_ANSWERS,
        "wake": "06:05:00.000+06:00",
        "visit": "2024-06-13T09:15:00.000+06:00",
    }
    [result] = odk_fill(xform.content.decode(), [interview])
    assert result["status"] == "ready", result["violations"]
    assert result["hidden"] == []
    assert result["xml"].count("<members>") == 3
    response = send(client, result["xml"])
    assert response.status_code == 201, response.content.decode()
    received = ReceivedInstance.objects.get()
    assert received.device_id == "odk-engine-test"
    answers = received.submission.answers
    assert answers["members"] == API_ANSWERS["members"]
    # The calculation and the metadata are the server's; the skip logic read them.
    assert answers["size"] == 3 and answers["crowded"] == "yes"
    assert answers["user"] == "dana" and answers["device"] == "odk-engine-test"
    started = datetime.datetime.fromisoformat(answers["started_at"])
    assert datetime.datetime.fromisoformat(answers["ended_at"]) >= started
    assert answers["day"] == started.date().isoformat()
    assert answers["region"] == "north" and answers["district"] == "n1"
    # As the web and the API store them: the time the interviewer entered, no zone.
    assert answers["wake"] == "06:05:00" and answers["visit"] == "2024-06-13T09:15:00"
    assert received.submission.mode == Submission.Mode.CAPI


def test_a_tablet_s_own_calculation_and_metadata_never_override_the_server_s(household):
    client = tablet(interviewer("dana", household))
    xform = client.get(FORM).content.decode()
    answers = {
        "region": "south",
        "district": "s1",
        "size": "99",  # what a tablet computed: the server counts the entries itself
        "user": "someone else",
        "day": "1999-01-01",
        "mname": "Ana",  # the roster's one entry
        "mage": "50",
    }
    xml = instance_xml(xform, answers, "uuid:calc")
    assert xml.count("<members") == 1
    response = send(client, xml)
    assert response.status_code == 201, response.content.decode()
    stored = ReceivedInstance.objects.get(instance_id="uuid:calc").submission.answers
    assert stored["size"] == 1 and stored["user"] == "dana"
    assert stored["day"] != "1999-01-01"
    assert stored["members"] == [{"mname": "Ana", "mage": 50}]


def test_a_question_answered_twice_outside_a_roster_is_kept_as_rejected(household):
    client = tablet(interviewer("dana", household))
    xform = client.get(FORM).content.decode()
    xml = instance_xml(xform, {"region": "south"}, "uuid:twice")
    xml = xml.replace("</region>", "</region><region>north</region>", 1)
    response = send(client, xml)
    assert response.status_code == 202
    kept = ReceivedInstance.objects.get(instance_id="uuid:twice")
    assert kept.state == "rejected"
    assert "answers region more than once" in kept.reason


def test_a_form_whose_questions_are_named_like_the_metadata_is_served(make_form):
    rows = [
        {"type": "text", "name": "start", "label::English (en)": "Where do you start?"},
        {"type": "integer", "name": "deviceid", "label::English (en)": "How many devices?"},
    ]
    survey = go_live(
        survey_import_xlsform(make_form(rows, [], {"form_title": "Names"}), "names").survey
    )
    xform = xform_of(survey)
    assert dict(xform.meta) == {"start": "start_1", "end": "end", "deviceid": "deviceid_1"}
    served = tablet(interviewer("dana", survey)).get("/openrosa/formList")
    assert "<formID>names</formID>" in served.content.decode()
    xml = instance_xml(
        xform.xml,
        {"start": "at home", "deviceid": "3"},
        "uuid:names",
        start_1="2026-06-01T10:00:00+05:00",
        deviceid_1="collect:abc",
    )
    contents = instance_contents(
        instance_parse(xml.encode()), questionnaire_of(survey), dict(xform.meta)
    )
    assert contents.answers == {"start": "at home", "deviceid": 3}
    assert contents.started == datetime.datetime.fromisoformat("2026-06-01T10:00:00+05:00")
    assert contents.device_id == "collect:abc"


def test_formlist_leaves_out_a_form_pyxform_cannot_make_and_lists_the_others(
    demo, monkeypatch, caplog
):
    from pyxform.errors import PyXFormError

    from openrosa import views
    from reports.access import ADMINISTRATORS

    real = views.xform_of

    def broken_for_china(survey):
        if survey.slug == "gt2024-china":
            raise PyXFormError("something pyxform refuses")
        return real(survey)

    monkeypatch.setattr(views, "xform_of", broken_for_china)
    chief = tablet(interviewer("chief", role=ADMINISTRATORS))
    listing = chief.get("/openrosa/formList").content.decode()
    assert re.findall(r"<formID>(.*?)</formID>", listing) == ["gt2024-kazakhstan"]
    assert "gt2024-china" in caplog.text
    form = chief.get("/openrosa/forms/gt2024-china/form.xml")
    assert form.status_code == 500
    assert "cannot be generated for tablets" in form.content.decode()
