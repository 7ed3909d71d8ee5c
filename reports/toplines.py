"""Toplines of valid respondents, with margins of error, and the published figures beside them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from reports.datasets import submissions
from surveys.models import Survey

FIGURES_FILE = Path(settings.BASE_DIR) / "demo" / "gt2024" / "figures.json"
Z95 = 1.96


def margin_of_error(share: float, base: int) -> float:
    """Return the 95% margin of error of a proportion (simple random sampling)."""
    return Z95 * math.sqrt(share * (1 - share) / base) if base else 0.0


@dataclass(frozen=True)
class Comparison:
    id: str
    text: str
    published: str
    measured: float
    margin: float
    base: int
    inside: bool


def _chose(answer, values: set[str]) -> bool:
    if isinstance(answer, list):
        return bool(values & set(answer))
    return str(answer) in values


def compare_published(survey: Survey, figures: list[dict] | None = None) -> list[Comparison]:
    """Put each published figure beside the share measured among valid respondents.

    A figure lies inside when the measured share's 95% interval meets the range its
    published wording allows.
    """
    if figures is None:
        figures = json.loads(FIGURES_FILE.read_text(encoding="utf-8")).get(survey.slug, [])
    chosen = [0] * len(figures)
    asked = [0] * len(figures)
    total = 0
    for known, answers in (
        submissions(survey).values_list("respondent__known", "answers").iterator(chunk_size=2000)
    ):
        answers = {**known, **answers}
        total += 1
        for index, figure in enumerate(figures):
            answer = answers.get(figure["variable"])
            if answer not in (None, "", []):
                asked[index] += 1
                chosen[index] += _chose(answer, set(figure["values"]))
    results = []
    for index, figure in enumerate(figures):
        base = asked[index] if figure["base"] == "asked" else total
        share = chosen[index] / base if base else 0.0
        margin = margin_of_error(share, base)
        low, high = figure["range"]
        results.append(
            Comparison(
                id=figure["id"],
                text=figure["text"],
                published=figure["published"],
                measured=share,
                margin=margin,
                base=base,
                inside=base > 0 and share - margin <= high and share + margin >= low,
            )
        )
    return results
