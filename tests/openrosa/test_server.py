"""The OpenRosa server as ODK Collect meets it: log-in, form list, form, manifest, submission."""

import hashlib
import re

import pytest
from django.contrib.auth.models import User

from openrosa.models import ReceivedInstance
from reports.access import ADMINISTRATORS, VIEWERS
from respondents.models import Submission
from surveys.models import Survey
from surveys.services import survey_set_status
from tests.openrosa.conftest import instance_xml, interviewer, send, tablet

pytestmark = pytest.mark.django_db

FORM = "/openrosa/forms/gt2024-kazakhstan/form.xml"
ANSWERS = {
    "age": 34,
    "gender": "female",
    "region": "almaty_city",
}


def test_a_client_without_credentials_is_asked_for_basic_ones(demo):
    response = tablet(None).get("/openrosa/formList")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="Fieldwork OpenRosa"')
    assert response["X-OpenRosa-Version"] == "1.0"


def test_a_wrong_password_is_refused(kazakhstan):
    user = interviewer("amina", kazakhstan)
    response = tablet(user, password="wrong").get("/openrosa/formList")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.content.decode()


def test_credentials_over_plain_http_are_refused_in_production(kazakhstan, settings):
    settings.OPENROSA_ALLOW_HTTP = False
    user = interviewer("amina", kazakhstan)
    response = tablet(user, https=False).get("/openrosa/formList")
    assert response.status_code == 403
    assert "only accepted over HTTPS" in response.content.decode()


def test_the_form_list_gives_the_assigned_live_forms_with_version_and_hash(kazakhstan):
    client = tablet(interviewer("amina", kazakhstan))
    listing = client.get("/openrosa/formList")
    assert listing.status_code == 200
    assert listing["Content-Type"] == "text/xml; charset=utf-8"
    assert listing["X-OpenRosa-Version"] == "1.0"
    assert int(listing["X-OpenRosa-Accept-Content-Length"]) > 0
    body = listing.content.decode()
    assert body.count("<xform>") == 1  # not the Chinese edition, not assigned
    assert "<formID>gt2024-kazakhstan</formID>" in body
    form = client.get(FORM)
    version = re.search(r'<data id="gt2024-kazakhstan" version="(\w+)"', form.content.decode())[1]
    assert f"<version>{version}</version>" in body
    assert f"<hash>md5:{hashlib.md5(form.content).hexdigest()}</hash>" in body
    assert "<downloadUrl>https://testserver/openrosa/forms/gt2024-kazakhstan/form.xml" in body
    manifest = client.get(re.search(r"<manifestUrl>https://testserver(.*?)</manifestUrl>", body)[1])
    assert manifest.status_code == 200
    assert 'xmlns="http://openrosa.org/xforms/xformsManifest"' in manifest.content.decode()


def test_the_form_is_in_every_language_of_the_survey(kazakhstan):
    xform = tablet(interviewer("amina", kazakhstan)).get(FORM).content.decode()
    assert '<translation lang="Kazakh (kk)" default="true()">' in xform
    assert '<translation lang="Russian (ru)">' in xform
    # A number's range and screening are the tablet's constraint too (export_xlsform).
    assert (
        'nodeset="/data/p_screening/age" type="int" required="true()" '
        'constraint="(. &gt;= 0) and (. &lt;= 120) and (. &gt;= 18 and . &lt;= 70)"' in xform
    )


def test_an_administrator_sees_every_live_form_and_a_viewer_none(demo):
    chief = interviewer("chief", role=ADMINISTRATORS)
    assert tablet(chief).get("/openrosa/formList").content.decode().count("<xform>") == 2
    survey_set_status(demo["gt2024-china"], Survey.Status.CLOSED)
    assert tablet(chief).get("/openrosa/formList").content.decode().count("<xform>") == 1
    viewer = interviewer("watcher", demo["gt2024-kazakhstan"], role=VIEWERS)
    assert "<xform>" not in tablet(viewer).get("/openrosa/formList").content.decode()
    assert tablet(viewer).get(FORM).status_code == 404


def test_head_of_the_submission_url_gives_the_limits(kazakhstan):
    response = tablet(interviewer("amina", kazakhstan)).head("/openrosa/submission")
    assert response.status_code == 204
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["X-OpenRosa-Accept-Content-Length"] == str(10 * 1024 * 1024)


def test_a_submission_failing_validation_is_kept_as_rejected_with_its_reason(kazakhstan):
    client = tablet(interviewer("amina", kazakhstan))
    xml = instance_xml(client.get(FORM).content.decode(), {**ANSWERS, "age": 200}, "uuid:1")
    response = send(client, xml)
    assert response.status_code == 202
    assert "not counted" in response.content.decode()
    kept = ReceivedInstance.objects.get(instance_id="uuid:1")
    assert kept.state == "rejected" and "answers.age" in kept.reason
    assert not Submission.objects.filter(mode="capi").exists()
    again = send(client, xml)
    assert again.status_code == 202
    assert ReceivedInstance.objects.count() == 1


def test_a_screened_out_interview_is_stored_as_screened_out(kazakhstan):
    client = tablet(interviewer("amina", kazakhstan))
    xml = instance_xml(client.get(FORM).content.decode(), {**ANSWERS, "age": 16}, "uuid:2")
    assert send(client, xml).status_code == 201
    submission = ReceivedInstance.objects.get(instance_id="uuid:2").submission
    assert submission.status == "screened_out"
    assert submission.answers == {"age": 16, "gender": "female", "region": "almaty_city"}


def test_an_instance_without_instance_id_is_refused_naming_it(kazakhstan):
    client = tablet(interviewer("amina", kazakhstan))
    xml = instance_xml(client.get(FORM).content.decode(), ANSWERS, "")
    response = send(client, xml)
    assert response.status_code == 400
    assert "meta/instanceID" in response.content.decode()


def test_an_instance_with_a_document_type_is_refused_before_parsing(kazakhstan):
    client = tablet(interviewer("amina", kazakhstan))
    xml = '<!DOCTYPE d [<!ENTITY a "aaaa">]><data id="gt2024-kazakhstan">&a;</data>'
    response = send(client, xml)
    assert response.status_code == 400
    assert "document type" in response.content.decode()


def test_an_interviewer_cannot_send_for_a_survey_not_assigned(demo):
    client = tablet(interviewer("amina", demo["gt2024-kazakhstan"]))
    xml = '<data id="gt2024-china" version="x"><meta><instanceID>uuid:3</instanceID></meta></data>'
    response = send(client, xml)
    assert response.status_code == 403
    assert not ReceivedInstance.objects.exists()


def test_the_interviewer_role_sees_no_dashboard(kazakhstan, client):
    client.force_login(interviewer("amina", kazakhstan))
    assert client.get("/manage/gt2024-kazakhstan/").status_code == 404
    assert User.objects.get(username="amina").has_perm("reports.collect_interviews")


def test_wrong_passwords_lock_the_tablet_out_as_on_the_login_page(kazakhstan, settings):
    settings.RATELIMIT_ENABLE = False  # the lock-out, not the rate limit, is under test
    user = interviewer("amina", kazakhstan)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert tablet(user, password="guess").get("/openrosa/formList").status_code == 401
    assert tablet(user, password="guess").get("/openrosa/formList").status_code == 429
    # Locked: the right password is refused too, and the lock says for how long.
    locked = tablet(user).get("/openrosa/formList")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 60


def test_a_password_is_hashed_once_then_remembered_until_it_changes(kazakhstan, monkeypatch):
    checks = []
    check_password = User.check_password

    def counted(self, raw_password):
        checks.append(raw_password)
        return check_password(self, raw_password)

    monkeypatch.setattr(User, "check_password", counted)
    user = interviewer("amina", kazakhstan)
    for _ in range(3):
        assert tablet(user).get("/openrosa/formList").status_code == 200
    assert len(checks) == 1  # the slow hash ran once, not at every request
    assert tablet(user, password="wrong").get("/openrosa/formList").status_code == 401

    user.set_password("a-new-password-42")
    user.save()
    assert tablet(user).get("/openrosa/formList").status_code == 401  # the old one, at once
    assert tablet(user, "a-new-password-42").get("/openrosa/formList").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert tablet(user, "a-new-password-42").get("/openrosa/formList").status_code == 401


def test_a_locked_out_user_name_is_refused_even_with_a_remembered_password(kazakhstan, settings):
    settings.RATELIMIT_ENABLE = False
    user = interviewer("amina", kazakhstan)
    assert tablet(user).get("/openrosa/formList").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT):
        tablet(user, password="guess").get("/openrosa/formList")
    assert tablet(user).get("/openrosa/formList").status_code == 429
