import pytest
from django.core.management import call_command

from respondents.models import Submission
from respondents.validation import submission_validate


@pytest.fixture
def kazakhstan_fieldwork(kazakhstan):
    """The suite's Kazakhstan edition after 60 simulated respondents, validated."""
    call_command("simulate_fieldwork", kazakhstan.slug, "--respondents", "60", "--seed", "8")
    for submission in Submission.objects.filter(status="completed", verdict="pending"):
        submission_validate(submission.pk)
    return kazakhstan
