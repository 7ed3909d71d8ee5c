"""The demo's yardstick: a full simulated sample reproduces the published figures."""

import pytest
from django.core.management import call_command

from reports.toplines import compare_published, margin_of_error
from respondents.models import Submission, Verdict
from respondents.validation import submission_validate
from surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_the_margin_of_error_matches_the_study():
    # The figures file: at most about 3.4 points with n = 813, 2.8 with n = 1,213.
    assert margin_of_error(0.5, 813) == pytest.approx(0.0344, abs=0.0005)
    assert margin_of_error(0.5, 1213) == pytest.approx(0.0281, abs=0.0005)


def fill(survey: Survey, seed: int) -> int:
    """Simulate fieldwork until the survey has its target of valid questionnaires."""
    for round_ in range(12):
        survey.refresh_from_db()
        if survey.status != Survey.Status.LIVE:
            break
        call_command(
            "simulate_fieldwork", survey.slug, "--respondents", "250", "--seed", str(seed + round_)
        )
        for submission in Submission.objects.filter(
            survey=survey, verdict=Verdict.PENDING, status="completed"
        ):
            submission_validate(submission.pk)
    return Submission.objects.filter(survey=survey, verdict=Verdict.VALID).count()


@pytest.mark.parametrize(("slug", "target"), [("gt2024-kazakhstan", 813), ("gt2024-china", 1213)])
def test_a_full_simulated_sample_puts_every_figure_inside_its_margin(slug, target, capsys):
    call_command("load_demo")
    survey = Survey.objects.get(slug=slug)
    assert fill(survey, seed=100) == target  # the survey closed itself at its target
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED
    outside = [row for row in compare_published(survey) if not row.inside]
    assert outside == []
    call_command("compare_published", slug)
    out = capsys.readouterr().out
    assert "figures inside the margin of error" in out
