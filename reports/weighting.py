"""Weights by raking: iterative proportional fitting of valid submissions to population margins.

`ipf` is the algorithm on plain arrays (one category index per respondent and margin);
`rake` reads a survey's margins (surveys.WeightingScheme), rakes its valid submissions,
trims the weights to the scheme's range, and stores them on the submissions only when
every margin is met within the tolerance. A raking that does not converge clears the
weights and says why, so no page or export carries weights that do not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from fieldwork.errors import Refused
from respondents.models import Submission
from respondents.selectors import submissions_matching
from surveys.models import Question, Survey, WeightingScheme
from surveys.questionnaire import Question as QuestionValue
from surveys.questionnaire import questionnaire_of

RANGE = re.compile(r"^\s*(\d{1,9})\s*(?:-\s*(\d{1,9})|\+)\s*$")
TRIM_ROUNDS = 50


@dataclass
class Fit:
    """What iterative proportional fitting reached."""

    weights: np.ndarray
    iterations: int
    max_error: float
    converged: bool
    trimmed: int = 0  # weights held at a bound of the trimming range


def _errors(weights: np.ndarray, categories, shares) -> float:
    total = weights.sum()
    worst = 0.0
    for cats, target in zip(categories, shares, strict=True):
        achieved = np.bincount(cats, weights=weights, minlength=len(target)) / total
        worst = max(worst, float(np.abs(achieved - target).max()))
    return worst


def _fit(weights, categories, shares, tolerance, max_iterations) -> tuple[np.ndarray, int, bool]:
    for iteration in range(1, max_iterations + 1):
        for cats, target in zip(categories, shares, strict=True):
            sums = np.bincount(cats, weights=weights, minlength=len(target))
            factor = np.divide(
                target * weights.sum(), sums, out=np.ones_like(target), where=sums > 0
            )
            weights = weights * factor[cats]
        if _errors(weights, categories, shares) <= tolerance:
            return weights, iteration, True
    return weights, max_iterations, False


def ipf(
    categories: list[np.ndarray],
    shares: list[np.ndarray],
    *,
    tolerance: float = 1e-6,
    max_iterations: int = 200,
    trim: tuple[float, float] | None = None,
    seed: np.ndarray | None = None,
) -> Fit:
    """Rake weights so that each margin's weighted shares meet `shares`.

    `categories[m][i]` is respondent i's category index in margin m; `shares[m]` the
    margin's target shares (summing to 1). Weights come back with mean 1. With `trim`
    (low, high), weights outside the range are clipped and the margins raked again, as
    many rounds as needed (at most TRIM_ROUNDS); the last step is always a clip, so no
    weight leaves the range, and the margin error is measured after it.
    """
    shares = [np.asarray(s, dtype=float) / np.sum(s) for s in shares]
    categories = [np.asarray(c, dtype=np.int64) for c in categories]
    weights = np.ones(len(categories[0])) if seed is None else np.asarray(seed, dtype=float)
    total_iterations = 0
    for _ in range(TRIM_ROUNDS if trim else 1):
        weights, iterations, converged = _fit(
            weights, categories, shares, tolerance, max_iterations
        )
        total_iterations += iterations
        weights = weights / weights.mean()
        if trim is None:
            return Fit(weights, total_iterations, _errors(weights, categories, shares), converged)
        low, high = trim
        if weights.min() >= low - 1e-12 and weights.max() <= high + 1e-12:
            break
        weights = np.clip(weights, low, high)
    low, high = trim
    # Clipping moves the mean off 1; a few clip-and-rescale steps settle it inside the range.
    for _ in range(20):
        weights = np.clip(weights / weights.mean(), low, high)
    weights = np.clip(weights, low, high)
    error = _errors(weights, categories, shares)
    trimmed = int(np.sum(np.isclose(weights, low) | np.isclose(weights, high)))
    return Fit(weights, total_iterations, error, error <= tolerance, trimmed)


@dataclass
class MarginReport:
    variable: str
    rows: list[tuple[str, float, float, float]]  # category, target, unweighted, weighted


@dataclass
class RakingReport:
    survey: Survey
    respondents: int
    converged: bool
    iterations: int
    max_error: float
    tolerance: float
    trim: tuple[float, float]
    trimmed: int = 0
    lowest: float = 0.0
    highest: float = 0.0
    effective_base: float = 0.0
    stored: bool = False
    margins: list[MarginReport] = field(default_factory=list)

    @property
    def design_effect(self) -> float:
        return self.respondents / self.effective_base if self.effective_base else 0.0

    def lines(self) -> list[str]:
        """Describe the raking in a few lines (for the command, the admin and the scheme)."""
        verdict = "converged" if self.converged else "DID NOT CONVERGE"
        lines = [
            f"{self.survey.slug}: {verdict} after {self.iterations} iterations; "
            f"largest margin error {self.max_error:.4%} (tolerance {self.tolerance:.4%})",
            f"{self.respondents} valid submissions; weights {self.lowest:.3f} to "
            f"{self.highest:.3f} (trimmed to {self.trim[0]:g}-{self.trim[1]:g}, "
            f"{self.trimmed} at a bound); effective base {self.effective_base:.1f}, "
            f"design effect {self.design_effect:.2f}",
        ]
        for margin in self.margins:
            worst = max(abs(weighted - target) for _, target, _, weighted in margin.rows)
            lines.append(f"  {margin.variable}: largest error {worst:.4%}")
        lines.append(
            "weights stored"
            if self.stored
            else "weights NOT stored: the submissions' weights were cleared"
        )
        return lines


def _category_index(question: QuestionValue, categories: list[str]):
    """Return a function mapping an answer to its category's index (None outside)."""
    if question.type == Question.Type.INTEGER:
        ranges = []
        for category in categories:
            match = RANGE.match(category)
            if not match:
                raise Refused(
                    [
                        gettext("%(variable)s: '%(category)s' is not a range such as 18-29 or 65+")
                        % {"variable": question.variable, "category": category}
                    ]
                )
            low = int(match.group(1))
            high = int(match.group(2)) if match.group(2) else None
            ranges.append((low, high))

        def index(answer):
            try:
                number = int(answer)
            except (TypeError, ValueError):
                return None
            for position, (low, high) in enumerate(ranges):
                if number >= low and (high is None or number <= high):
                    return position
            return None

        return index
    known = set(question.choice_values)
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise Refused(
            [f"{question.variable}: {', '.join(unknown)} not among the question's choices"]
        )
    positions = {category: position for position, category in enumerate(categories)}
    return lambda answer: positions.get(str(answer)) if answer not in (None, "") else None


def _margins(scheme: WeightingScheme):
    """Return [(variable, categories, populations, index function)], or raise Refused."""
    result, errors = [], []
    questionnaire = questionnaire_of(scheme.survey)
    for margin in scheme.margins.prefetch_related("targets"):
        question = questionnaire.question_of(margin.variable)
        if (
            question is None
            or question.variable != margin.variable
            or question.type not in (Question.Type.SINGLE, Question.Type.INTEGER)
        ):
            errors.append(
                gettext("%(variable)s: not a single-choice or integer question")
                % {"variable": margin.variable}
            )
            continue
        targets = list(margin.targets.all())
        total = sum(t.population for t in targets)
        if not targets or total <= 0:
            errors.append(
                gettext("%(variable)s: no population figures") % {"variable": margin.variable}
            )
            continue
        try:
            index = _category_index(question, [t.category for t in targets])
        except Refused as exc:
            errors.extend(exc.errors)
            continue
        result.append(
            (
                margin.variable,
                [t.category for t in targets],
                np.array([t.population / total for t in targets]),
                index,
            )
        )
    if errors:
        raise Refused(errors)
    if not result:
        raise Refused([gettext("No weighting margins are defined for this survey.")])
    return result


def rake(survey: Survey) -> RakingReport:
    """Rake `survey`'s valid submissions to its margins; store the weights if they hold.

    Raises Refused, changing nothing, when the margins cannot be applied: no scheme,
    a category that is not a choice, valid submissions outside every category of a
    margin, or a category with population but no respondent.
    """
    scheme = WeightingScheme.objects.filter(survey=survey).first()
    if scheme is None:
        raise Refused([gettext("No weighting margins are defined for this survey.")])
    margins = _margins(scheme)
    ids, categories = [], [[] for _ in margins]
    outside = [0] * len(margins)
    for pk, known, answers in submissions_matching(survey, valid_only=True).values_list(
        "pk", "respondent__known", "answers"
    ):
        answers = {**known, **answers}
        ids.append(pk)
        for position, (variable, _, _, index) in enumerate(margins):
            category = index(answers.get(variable))
            if category is None:
                outside[position] += 1
                category = -1
            categories[position].append(category)
    errors = [
        ngettext(
            "%(variable)s: %(count)d valid submission falls in none of its categories",
            "%(variable)s: %(count)d valid submissions fall in none of its categories",
            count,
        )
        % {"variable": variable, "count": count}
        for (variable, *_), count in zip(margins, outside, strict=True)
        if count
    ]
    if not ids:
        errors.append(gettext("There are no valid submissions to weight."))
    for (variable, names, shares, _), cats in zip(margins, categories, strict=True):
        present = np.bincount(np.array(cats, dtype=np.int64).clip(0), minlength=len(names))
        errors.extend(
            gettext(
                "%(variable)s: no respondent in '%(category)s', whose population share is %(share)s"
            )
            % {"variable": variable, "category": name, "share": f"{share:.2%}"}
            for name, share, n in zip(names, shares, present, strict=True)
            if share > 0 and n == 0
        )
    if errors:
        raise Refused(errors)
    arrays = [np.array(c, dtype=np.int64) for c in categories]
    shares = [m[2] for m in margins]
    trim = (scheme.trim_low, scheme.trim_high)
    fit = ipf(
        arrays,
        shares,
        tolerance=scheme.tolerance,
        max_iterations=scheme.max_iterations,
        trim=trim,
    )
    weights = fit.weights
    report = RakingReport(
        survey=survey,
        respondents=len(ids),
        converged=fit.converged,
        iterations=fit.iterations,
        max_error=fit.max_error,
        tolerance=scheme.tolerance,
        trim=trim,
        trimmed=fit.trimmed,
        lowest=float(weights.min()),
        highest=float(weights.max()),
        effective_base=float(weights.sum() ** 2 / (weights**2).sum()),
        stored=fit.converged,
    )
    for (variable, names, target, _), cats in zip(margins, arrays, strict=True):
        unweighted = np.bincount(cats, minlength=len(names)) / len(cats)
        weighted = np.bincount(cats, weights=weights, minlength=len(names)) / weights.sum()
        report.margins.append(
            MarginReport(
                variable,
                [
                    (name, float(t), float(u), float(w))
                    for name, t, u, w in zip(names, target, unweighted, weighted, strict=True)
                ],
            )
        )
    _store(scheme, ids, weights if fit.converged else None, report)
    return report


@transaction.atomic
def _store(scheme: WeightingScheme, ids: list[int], weights, report: RakingReport) -> None:
    # The scheme row is locked so that two rakings of one survey store one after the other.
    WeightingScheme.objects.select_for_update().filter(pk=scheme.pk).first()
    Submission.objects.filter(survey=scheme.survey).exclude(weight=None).update(weight=None)
    if weights is not None:
        changed = [
            Submission(pk=pk, weight=round(float(w), 6)) for pk, w in zip(ids, weights, strict=True)
        ]
        Submission.objects.bulk_update(changed, ["weight"], batch_size=1000)
    WeightingScheme.objects.filter(pk=scheme.pk).update(
        ran=timezone.now(),
        converged=report.converged,
        iterations=report.iterations,
        max_error=report.max_error,
        weighted=len(ids) if weights is not None else 0,
        report="\n".join(report.lines()),
    )


def weights_state(survey: Survey) -> tuple[bool, str]:
    """Return whether weighted figures can be shown, and if not, why (a sentence)."""
    scheme = WeightingScheme.objects.filter(survey=survey).first()
    if scheme is None or scheme.ran is None:
        return False, gettext("This survey has not been weighted.")
    if not scheme.converged:
        return False, gettext(
            "The last raking did not converge (largest margin error %(error).2f%%): "
            "there are no weights."
        ) % {"error": 100 * (scheme.max_error or 0)}
    valid = submissions_matching(survey, valid_only=True)
    missing = valid.filter(weight=None).count()
    if missing:
        return False, ngettext(
            "%(n)d valid submission arrived after the last raking and has no weight: "
            "weight the survey again.",
            "%(n)d valid submissions arrived after the last raking and have no weight: "
            "weight the survey again.",
            missing,
        ) % {"n": missing}
    gone = scheme.weighted - valid.count()
    if gone > 0:
        return False, ngettext(
            "%(n)d submission weighted at the last raking is no longer valid: "
            "weight the survey again.",
            "%(n)d submissions weighted at the last raking are no longer valid: "
            "weight the survey again.",
            gone,
        ) % {"n": gone}
    return True, ""
