"""How far the measured shares lie from the published figures, one by one and as a set.

A figure's z-score is the distance of the measured share from the nearest end of the range
its published wording allows ("67%" is 66.5 to 67.5), in standard errors of the measured
share; inside the range it is 0, and a figure is outside its 95% margin when |z| > 1.96.

Judged one by one at 95%, about one figure in twenty falls outside by chance alone, with
nothing wrong (fewer, for figures published as ranges): with 40 figures, about two. So the
count outside is set against that expectation, and the whole set gets one test: if every
true share lies in its published range, the sum of the squared z-scores is at most a
chi-square with as many degrees of freedom as figures, and its p-value says how often
chance alone would put the measured shares this far away. Several figures come from one
question (two answers of one scale, a grid's rows), so they are not independent and the
p-value is approximate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
Z95 = 1.96
# The single test rejects the set at this level (the report says which way it went).
SET_LEVEL = 0.05


def z_score(share: float, standard_error: float, low: float, high: float, base: float) -> float:
    """Return how many standard errors `share` lies outside [low, high] (0 inside).

    Where the measured share has no spread (0% or 100%), the nearest end's own standard
    error on `base` respondents is used.
    """
    if low <= share <= high:
        return 0.0
    nearest = low if share < low else high
    if standard_error <= 0 and base > 0:
        standard_error = math.sqrt(nearest * (1 - nearest) / base)
    if standard_error <= 0:
        return math.copysign(math.inf, share - nearest)
    return (share - nearest) / standard_error


@dataclass(frozen=True)
class Agreement:
    """The figures as a set: how many lie outside, how many chance alone would put there."""

    figures: int
    outside: int
    expected_outside: float
    chi_square: float
    p_value: float

    @property
    def rejected(self) -> bool:
        """Whether the set as a whole is further from the figures than chance explains."""
        return self.p_value < SET_LEVEL


def agreement(z_scores: Sequence[float]) -> Agreement:
    """Return the count outside, the count expected by chance, and the single test."""
    statistic = sum(z * z for z in z_scores)
    return Agreement(
        figures=len(z_scores),
        outside=sum(abs(z) > Z95 for z in z_scores),
        expected_outside=len(z_scores) * round(1 - CONFIDENCE, 10),
        chi_square=statistic,
        p_value=chi_square_survival(statistic, len(z_scores)) if z_scores else 1.0,
    )


def chi_square_survival(x: float, degrees: int) -> float:
    """Return P(X >= x) for X chi-square with `degrees` degrees of freedom.

    The regularized upper incomplete gamma function Q(degrees/2, x/2): its series below
    the mean, its continued fraction above (Numerical Recipes, 6.2), to about 1e-12.
    """
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    a, y = degrees / 2, x / 2
    scale = math.exp(-y + a * math.log(y) - math.lgamma(a))
    if y < a + 1:
        term = total = 1 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= y / n
            total += term
            if term < total * 1e-15:
                break
        return max(0.0, 1 - total * scale)
    tiny = 1e-300
    b = y + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, scale * h)
