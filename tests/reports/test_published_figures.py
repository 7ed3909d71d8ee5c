"""The demo's yardstick: a full simulated sample reproduces the published figures, as far
as chance allows, and the comparison can tell when it does not."""

import json

import pytest
from django.core.management import call_command

from reports.published import agreement, chi_square_survival, z_score
from reports.toplines import FIGURES_FILE, compare_published, margin_of_error
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
def test_a_full_simulated_sample_agrees_with_the_figures_as_far_as_chance_allows(
    slug, target, capsys
):
    call_command("load_demo")
    survey = Survey.objects.get(slug=slug)
    assert fill(survey, seed=100) == target  # the survey closed itself at its target
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED
    rows = compare_published(survey)
    result = agreement([row.z for row in rows])
    assert not result.rejected, [(row.id, round(row.z, 2)) for row in rows]
    assert result.outside == sum(not row.inside for row in rows)
    call_command("compare_published", slug)
    out = capsys.readouterr().out
    assert f"{result.outside} outside, about {0.05 * len(rows):.1f} expected by chance" in out
    assert "no further from the published figures than chance explains" in out
    # Figures the answers were not drawn from (each moved by 8 points) fail the set's test.
    figures = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))[slug]
    for figure in figures:
        low, high = figure["range"]
        shift = 0.08 if high < 0.9 else -0.08
        figure["range"] = [low + shift, min(high + shift, 1.0)]
    moved = agreement([row.z for row in compare_published(survey, figures)])
    assert moved.rejected and moved.p_value < 1e-6
    assert moved.outside > moved.expected_outside


def test_chance_alone_puts_about_one_figure_in_twenty_outside():
    result = agreement([0.0] * 38 + [2.3, -2.1])
    assert (result.figures, result.outside, result.expected_outside) == (40, 2, 2.0)
    assert result.chi_square == pytest.approx(2.3**2 + 2.1**2)
    assert not result.rejected  # two outside of forty is what chance does
    assert agreement([3.0] * 10).rejected  # ten figures three standard errors off is not


@pytest.mark.parametrize(
    ("x", "degrees", "p"),
    [(3.841459, 1, 0.05), (5.991465, 2, 0.05), (55.758479, 40, 0.05), (63.690740, 40, 0.01)],
)
def test_the_chi_square_tail_matches_the_tables(x, degrees, p):
    assert chi_square_survival(x, degrees) == pytest.approx(p, rel=1e-6)
    assert chi_square_survival(0.0, degrees) == 1.0


def test_a_z_score_is_zero_inside_the_range_and_counts_standard_errors_outside():
    assert z_score(0.67, 0.016, 0.665, 0.675, 813) == 0.0
    assert z_score(0.36, 0.0168, 0.395, 0.405, 813) == pytest.approx(-0.035 / 0.0168)
    assert z_score(1.0, 0.0, 0.8, 0.9, 100) == pytest.approx(0.1 / (0.09 / 100) ** 0.5)
