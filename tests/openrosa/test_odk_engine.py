"""ODK's own form engine loads the XForm we serve, fills it, and we store what it sends.

`@getodk/xforms-engine` (the engine of ODK Web Forms, from npm) is the client: it reads
the XForm exactly as the server serves it, evaluates its skip logic and constraints, and
writes the instance it would submit. The instances are posted to the Submission API.
"""

import re

import pytest
from django.db.models import Q

from openrosa.models import ReceivedInstance
from respondents.models import Submission
from respondents.simulation import Mix, simulate_fieldwork
from surveys.services import survey_questionnaire_changed
from tests.openrosa.conftest import interviewer, odk_fill, send, tablet

pytestmark = pytest.mark.django_db


def web_interviews(survey, n: int, seed: int) -> list[Submission]:
    """Interviews answered through the web's page form (the simulation): the reference."""
    simulate_fieldwork(survey, n, seed=seed, mix=Mix(duplicate=0, ineligible=0.3))
    return list(
        Submission.objects.filter(survey=survey)
        .exclude(Q(status=Submission.Status.IN_PROGRESS) | Q(status=Submission.Status.OVER_QUOTA))
        .select_related("respondent")
        .order_by("pk")
    )


def test_the_engine_fills_the_served_form_and_we_store_the_web_answers(
    kazakhstan, django_capture_on_commit_callbacks, eager_tasks
):
    web = web_interviews(kazakhstan, 8, seed=11)
    assert {s.status for s in web} == {"completed", "screened_out"}
    amina = interviewer("amina", kazakhstan)
    client = tablet(amina)
    xform = client.get("/openrosa/forms/gt2024-kazakhstan/form.xml")
    assert xform.status_code == 200
    references = [{**s.respondent.known, **s.answers} for s in web]
    filled = odk_fill(xform.content.decode(), references, language="Russian (ru)")
    assert filled[0]["languages"] == ["Kazakh (kk)", "Russian (ru)"]
    for submission, result, answers in zip(web, filled, references, strict=True):
        # Every answer the web respondent gave, the engine found a shown question for.
        assert result["hidden"] == []
        if submission.status == "completed":
            assert result["status"] == "ready", result["violations"]
        with django_capture_on_commit_callbacks(execute=True):
            response = send(client, result["xml"])
        assert response.status_code == 201, response.content.decode()
        assert b"submit_success" in response.content
        assert response["X-OpenRosa-Version"] == "1.0"
        stored = ReceivedInstance.objects.get(
            instance_id=re.search(r"<instanceID>(.*?)</instanceID>", result["xml"])[1]
        ).submission
        assert stored.status == submission.status
        assert stored.answers == answers
        assert stored.mode == Submission.Mode.CAPI
        assert stored.interviewer == amina
    completed = Submission.objects.filter(mode="capi", status="completed")
    # Quality control ran on them as on the web's (tasks run in process here).
    assert not completed.filter(verdict="pending").exists()
    assert completed.count() == sum(s.status == "completed" for s in web)


def test_sending_the_same_instance_again_stores_nothing_new(kazakhstan):
    web = web_interviews(kazakhstan, 3, seed=12)
    client = tablet(interviewer("bolat", kazakhstan))
    xform = client.get("/openrosa/forms/gt2024-kazakhstan/form.xml").content.decode()
    answers = {**web[0].respondent.known, **web[0].answers}
    [result] = odk_fill(xform, [answers])
    first = send(client, result["xml"])
    assert first.status_code == 201
    submissions = Submission.objects.count()
    again = send(client, result["xml"])
    assert again.status_code == 201
    assert "Already received" in again.content.decode()
    assert Submission.objects.count() == submissions
    assert ReceivedInstance.objects.count() == 1


def test_an_instance_of_an_older_form_version_is_kept_as_rejected(kazakhstan):
    web = web_interviews(kazakhstan, 3, seed=13)
    client = tablet(interviewer("dana", kazakhstan))
    old = client.get("/openrosa/forms/gt2024-kazakhstan/form.xml").content.decode()
    answers = {**web[0].respondent.known, **web[0].answers}
    [result] = odk_fill(old, [answers])
    # The questionnaire changes while the tablet is offline (a choice's text is corrected).
    choice = kazakhstan.choice_lists.get(name="gender").choices.first()
    choice.label = {**choice.label, "ru": choice.label["ru"] + " (исправлено)"}
    choice.save()
    survey_questionnaire_changed(kazakhstan)
    current = client.get("/openrosa/forms/gt2024-kazakhstan/form.xml").content.decode()
    version = re.search(r'<data id="gt2024-kazakhstan" version="(\w+)"', old)[1]
    assert version not in current
    submissions = Submission.objects.count()
    response = send(client, result["xml"])
    assert response.status_code == 202
    assert "not counted" in response.content.decode()
    assert Submission.objects.count() == submissions
    kept = ReceivedInstance.objects.get()
    assert kept.state == "rejected"
    assert f"version {version} of the form" in kept.reason
    assert kept.xml == result["xml"]
