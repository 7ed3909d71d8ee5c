"""An interview sent through the API ends as the same interview answered on the web."""

import pytest
from django.core.management import call_command
from django.db.models import Q

from respondents.models import Submission
from respondents.simulation import Mix, simulate_fieldwork
from surveys.models import Survey
from tests.api.conftest import client_for, user_with

pytestmark = pytest.mark.django_db


def test_the_demos_simulated_interviews_sent_again_end_the_same(db):
    call_command("load_demo")
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    # Simulated respondents go through the web's page form and services: the reference.
    simulate_fieldwork(survey, 12, seed=8, mix=Mix(duplicate=0, ineligible=0.3))
    web = list(
        Submission.objects.filter(survey=survey)
        .exclude(Q(status=Submission.Status.IN_PROGRESS) | Q(status=Submission.Status.OVER_QUOTA))
        .select_related("respondent")
    )
    assert {s.status for s in web} == {"completed", "screened_out"}
    client = client_for(user_with("Administrators", name="chief"))
    for number, submission in enumerate(web):
        answers = {**submission.respondent.known, **submission.answers}
        response = client.post(
            "/api/v1/surveys/gt2024-kazakhstan/submissions/",
            {"language": submission.language, "answers": answers},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"again-{number}",
        )
        assert response.status_code == 201, response.json()
        again = response.json()
        assert again["status"] == submission.status
        assert again["answers"] == answers
