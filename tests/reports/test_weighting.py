"""Raking: the algorithm against a published property, margins met, failures reported, trims."""

import csv

import numpy as np
import pyreadstat
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fieldwork.errors import Refused
from reports.weighting import ipf, rake, weights_state
from respondents.models import Submission, Verdict
from surveys.models import Survey, WeightingMargin, WeightingScheme, WeightingTarget
from tests.reports.test_toplines import hand_survey, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(make_form) -> Survey:
    return hand_survey(make_form)


def respondents(cells: dict[tuple[int, int], int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for (row, col), count in cells.items():
        rows += [row] * count
        cols += [col] * count
    return np.array(rows), np.array(cols)


def table(rows, cols, weights, scale):
    result = np.zeros((2, 2))
    np.add.at(result, (rows, cols), weights * scale)
    return result


def test_ipf_reproduces_the_published_two_by_two_example():
    """A 2x2 survey table raked to census margins (Klemens, "Modeling with Data", 2008,
    the raking example of the Apophenia library: survey 7 9 / 12 7, census rows 5 and 15,
    columns 10 and 10).

    Raking keeps the table's cross-product ratio (Mosteller 1968, "Association and
    estimation in contingency tables", JASA 63:1-28), and a 2x2 table is fixed by its
    margins and that ratio: the fitted first cell a solves a(5+a) / ((5-a)(10-a)) = 49/108,
    a = 1.77567, so the table is 1.776 3.224 / 8.224 6.776.
    """
    rows, cols = respondents({(0, 0): 7, (0, 1): 9, (1, 0): 12, (1, 1): 7})
    fit = ipf([rows, cols], [np.array([5, 15]), np.array([10, 10])], tolerance=1e-9)
    assert fit.converged
    fitted = table(rows, cols, fit.weights, 20 / len(rows))
    assert fitted == pytest.approx(np.array([[1.77567, 3.22433], [8.22433, 6.77567]]), abs=1e-4)
    assert fitted[0, 0] * fitted[1, 1] / (fitted[0, 1] * fitted[1, 0]) == pytest.approx(49 / 108)


def test_ipf_from_a_uniform_table_gives_the_independence_table_in_one_cycle():
    """With every cell equal, raking gives row total x column total / N at once
    (Bishop, Fienberg and Holland, "Discrete Multivariate Analysis", 1975, ch. 3)."""
    rows, cols = respondents({(0, 0): 10, (0, 1): 10, (1, 0): 10, (1, 1): 10})
    fit = ipf([rows, cols], [np.array([30, 70]), np.array([60, 40])], tolerance=1e-12)
    assert fit.iterations == 1
    fitted = table(rows, cols, fit.weights, 100 / 40)
    assert fitted == pytest.approx(np.array([[18, 12], [42, 28]]))


def test_contradictory_margins_do_not_converge():
    # Everyone male lives in the north: 50% men and 80% north cannot both hold.
    sex = np.array([0] * 50 + [1] * 50)
    fit = ipf([sex, sex.copy()], [np.array([0.5, 0.5]), np.array([0.8, 0.2])], max_iterations=50)
    assert not fit.converged
    assert fit.max_error == pytest.approx(0.3)


def test_trimming_keeps_every_weight_in_range_and_re_rakes():
    a = np.array([0, 1, 2] * 100)
    b = np.array([0] * 150 + [1] * 150)
    shares = [np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.6])]
    untrimmed = ipf([a, b], shares, tolerance=1e-8)
    assert untrimmed.weights.min() == pytest.approx(0.48)  # below the range
    fit = ipf([a, b], shares, tolerance=1e-8, trim=(0.5, 2.0))
    assert fit.converged and fit.trimmed > 0
    assert fit.weights.min() >= 0.5 and fit.weights.max() <= 2.0
    assert np.bincount(a, weights=fit.weights) / fit.weights.sum() == pytest.approx(shares[0])


def test_trimming_that_makes_the_margins_unreachable_is_reported():
    a = np.array([0, 1, 2] * 100)
    b = np.array([0] * 150 + [1] * 150)
    fit = ipf([a, b], [np.array([0.5, 0.3, 0.2]), np.array([0.3, 0.7])], trim=(0.5, 2.0))
    assert not fit.converged and fit.max_error > 0.01
    assert fit.weights.min() >= 0.5 and fit.weights.max() <= 2.0


def margins(survey, **figures):
    scheme, _ = WeightingScheme.objects.get_or_create(survey=survey)
    for position, (variable, populations) in enumerate(figures.items()):
        margin = WeightingMargin.objects.create(scheme=scheme, variable=variable, position=position)
        for category, population in populations.items():
            WeightingTarget.objects.create(margin=margin, category=category, population=population)
    return scheme


def weights(survey):
    return {
        s.answers["gender"] + "/" + s.answers["region"]: s.weight
        for s in Submission.objects.filter(survey=survey, verdict=Verdict.VALID)
    }


def shares_of(survey, variable):
    valid = Submission.objects.filter(survey=survey, verdict=Verdict.VALID)
    total = sum(s.weight for s in valid)
    result = {}
    for s in valid:
        result[s.answers[variable]] = result.get(s.answers[variable], 0) + s.weight / total
    return result


def test_raking_a_survey_meets_every_margin_and_stores_the_weights(survey):
    # Sample: 4 men, 6 women; 5 north, 5 south. Population: half men, 70% north.
    margins(
        survey,
        gender={"male": 500, "female": 500},
        region={"north": 0.7, "south": 0.3},
        age={"18-39": 40, "40+": 60},
    )
    report = rake(survey)
    assert report.converged and report.stored and report.respondents == 10
    assert shares_of(survey, "gender") == pytest.approx({"male": 0.5, "female": 0.5}, abs=1e-3)
    assert shares_of(survey, "region") == pytest.approx({"north": 0.7, "south": 0.3}, abs=1e-3)
    assert all(0.3 <= w <= 3.0 for w in weights(survey).values())
    assert weights_state(survey) == (True, "")
    invalid = Submission.objects.exclude(verdict=Verdict.VALID).filter(survey=survey)
    assert {s.weight for s in invalid} == {None}
    scheme = WeightingScheme.objects.get(survey=survey)
    assert (
        scheme.converged
        and scheme.iterations == report.iterations
        and "converged" in (scheme.report)
    )


def test_contradictory_margins_are_reported_and_leave_no_weights(survey):
    margins(survey, gender={"male": 1, "female": 1})
    assert rake(survey).converged
    assert None not in weights(survey).values()
    # Every man now lives in the north: half men and 10% north cannot both hold.
    WeightingScheme.objects.filter(survey=survey).delete()
    Submission.objects.filter(answers__gender="male", answers__region="south").update(
        answers={"gender": "male", "region": "north", "like": "no", "age": 30}
    )
    margins(survey, gender={"male": 0.5, "female": 0.5}, region={"north": 0.1, "south": 0.9})
    report = rake(survey)
    assert not report.converged and not report.stored
    assert report.max_error > 0.05
    assert set(weights(survey).values()) == {None}
    assert "DID NOT CONVERGE" in "\n".join(report.lines())
    can, why = weights_state(survey)
    assert not can and "did not converge" in why


def test_the_command_reports_non_convergence_as_a_failure(survey, capsys):
    Submission.objects.filter(answers__gender="male").update(
        answers={"gender": "male", "region": "north", "like": "no", "age": 30}
    )
    margins(survey, gender={"male": 0.5, "female": 0.5}, region={"north": 0.1, "south": 0.9})
    with pytest.raises(CommandError, match="did not converge"):
        call_command("weight", "hand")
    assert "DID NOT CONVERGE" in capsys.readouterr().out


def test_margins_that_cannot_apply_are_refused_with_reasons(survey):
    with pytest.raises(Refused, match="No weighting margins"):
        rake(survey)
    margins(survey, gender={"male": 1, "other": 1}, region={"north": 1, "east": 1})
    with pytest.raises(Refused) as raised:
        rake(survey)
    assert "gender: other not among the question's choices" in raised.value.errors
    assert "region: east not among the question's choices" in raised.value.errors
    WeightingScheme.objects.filter(survey=survey).delete()
    margins(survey, age={"18-29": 1, "30-39": 1})
    with pytest.raises(Refused, match="age: 6 valid submissions fall in none"):
        rake(survey)
    with pytest.raises(CommandError, match="cannot weight"):
        call_command("weight", "hand")


def test_new_valid_submissions_make_the_weights_out_of_date(survey):
    margins(survey, gender={"male": 1, "female": 1})
    rake(survey)
    person(survey, 50, gender="male", region="north", like="yes", age=30)
    can, why = weights_state(survey)
    assert not can and "1 valid submission arrived after the last raking and has no weight" in why


def test_a_weighted_submission_judged_invalid_afterwards_makes_the_weights_out_of_date(survey):
    margins(survey, gender={"male": 1, "female": 1})
    rake(survey)
    assert weights_state(survey)[0]
    judged = Submission.objects.filter(survey=survey, verdict=Verdict.VALID).first()
    Submission.objects.filter(pk=judged.pk).update(verdict=Verdict.INVALID)
    can, why = weights_state(survey)
    assert not can and "1 submission weighted at the last raking is no longer valid" in why


def test_the_weight_is_a_column_of_the_csv_and_a_scale_variable_of_the_sav(survey, tmp_path):
    def export(fmt):
        path = tmp_path / f"out.{fmt}"
        call_command("export", "hand", "--format", fmt, "--output", str(path))
        return path

    with export("csv").open(encoding="utf-8") as handle:
        before = list(csv.DictReader(handle))
    assert {row["weight"] for row in before} == {""}  # never weighted: empty, not 1
    margins(survey, gender={"male": 1, "female": 1})
    rake(survey)
    with export("csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    men = [float(r["weight"]) for r in rows if r["gender"] == "1"]  # male is code 1
    assert men == pytest.approx([1.25] * 4)  # 4 men of 10 made half
    frame, meta = pyreadstat.read_sav(str(export("sav")))
    assert meta.variable_measure["weight"] == "scale"
    assert "weight" not in meta.variable_value_labels  # no missing codes on a weight
    assert sorted(frame["weight"].round(4).unique()) == [0.8333, 1.25]


def test_the_demo_gets_its_geography_margins_once(db):
    call_command("load_demo")
    call_command("load_demo")
    kazakhstan = WeightingScheme.objects.get(survey__slug="gt2024-kazakhstan")
    region = kazakhstan.margins.get()
    assert region.variable == "region" and region.targets.count() == 17
    assert region.targets.get(category="almaty_city").population == 2030285
    china = WeightingScheme.objects.get(survey__slug="gt2024-china").margins.get()
    assert china.variable == "city" and china.targets.count() == 16


def test_a_small_demo_sample_names_the_regions_nobody_answered_from(db):
    from respondents.validation import submission_validate

    call_command("load_demo")
    call_command("simulate_fieldwork", "gt2024-kazakhstan", "--respondents", "40", "--seed", "3")
    for submission in Submission.objects.filter(status="completed", verdict="pending"):
        submission_validate(submission.pk)
    kazakhstan = Survey.objects.get(slug="gt2024-kazakhstan")
    with pytest.raises(Refused) as raised:
        rake(kazakhstan)
    assert raised.value.errors and all(
        e.startswith("region: no respondent in '") for e in raised.value.errors
    )
    assert not Submission.objects.filter(survey=kazakhstan).exclude(weight=None).exists()


def test_the_admin_action_rakes_and_reports_a_failure_as_an_error(survey, admin_client):
    scheme = margins(survey, gender={"male": 1, "female": 1})
    page = admin_client.get(f"/admin/surveys/weightingscheme/{scheme.pk}/change/")
    assert page.status_code == 200 and "gender" in page.content.decode()
    margin = scheme.margins.get()
    assert (
        admin_client.get(f"/admin/surveys/weightingmargin/{margin.pk}/change/").status_code == 200
    )
    done = admin_client.post(
        "/admin/surveys/weightingscheme/",
        {"action": "rake_now", "_selected_action": [scheme.pk]},
        follow=True,
    ).content.decode()
    assert "converged after" in done
    assert None not in weights(survey).values()
    WeightingTarget.objects.filter(margin=margin, category="female").update(category="other")
    failed = admin_client.post(
        "/admin/surveys/weightingscheme/",
        {"action": "rake_now", "_selected_action": [scheme.pk]},
        follow=True,
    ).content.decode()
    assert "cannot be weighted" in failed and "other not among the question" in failed
