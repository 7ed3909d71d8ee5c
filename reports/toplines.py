"""Toplines of valid respondents, with margins of error, and the published figures beside them.

A topline counts, per question, the valid respondents who answered it (its base) and the
share choosing each answer, with the 95% margin of error of that share. Weighted, the
shares are of summed weights and the margin of error uses Kish's effective base
n_eff = (sum w)^2 / sum w^2 of the respondents in the base, never the raw count.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from reports.published import z_score
from respondents.selectors import submissions_matching
from surveys.models import Question, Survey
from surveys.questionnaire import questionnaire_of

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
    effective_base: float = 0.0
    low: float = 0.0  # the range the published wording allows
    high: float = 1.0

    @property
    def z(self) -> float:
        """Standard errors between the measured share and the published range (see
        reports.published)."""
        return z_score(self.measured, self.margin / Z95, self.low, self.high, self.effective_base)

    @property
    def measured_percent(self) -> float:
        return 100 * self.measured

    @property
    def margin_percent(self) -> float:
        return 100 * self.margin


def _chose(answer, values: set[str]) -> bool:
    if isinstance(answer, list):
        return bool(values & set(answer))
    return str(answer) in values


def compare_published(
    survey: Survey, figures: list[dict] | None = None, *, weighted: bool = False
) -> list[Comparison]:
    """Put each published figure beside the share measured among valid respondents.

    A figure lies inside when the measured share's 95% interval meets the range its
    published wording allows. Weighted, shares are of summed weights and the interval
    uses the effective base (see the module's docstring).
    """
    if figures is None:
        figures = json.loads(FIGURES_FILE.read_text(encoding="utf-8")).get(survey.slug, [])
    chosen = [0.0] * len(figures)
    asked = [[0, 0.0, 0.0] for _ in figures]  # count, sum of weights, sum of squares
    total = [0, 0.0, 0.0]
    for answers, weight in weighted_answers(survey, weighted):
        total[0] += 1
        total[1] += weight
        total[2] += weight * weight
        for index, figure in enumerate(figures):
            answer = answers.get(figure["variable"])
            if answer not in (None, "", []):
                asked[index][0] += 1
                asked[index][1] += weight
                asked[index][2] += weight * weight
                if _chose(answer, set(figure["values"])):
                    chosen[index] += weight
    results = []
    for index, figure in enumerate(figures):
        count, weights, squares = asked[index] if figure["base"] == "asked" else total
        share = chosen[index] / weights if weights else 0.0
        effective = weights * weights / squares if squares else 0.0
        margin = margin_of_error(share, effective)
        low, high = figure["range"]
        results.append(
            Comparison(
                id=figure["id"],
                text=figure["text"],
                published=figure["published"],
                measured=share,
                margin=margin,
                base=count,
                inside=count > 0 and share - margin <= high and share + margin >= low,
                effective_base=effective,
                low=low,
                high=high,
            )
        )
    return results


@dataclass
class Item:
    """One thing a topline counts: a question, or one row of a grid."""

    variable: str
    label: str
    kind: str  # single, multiple, grid, integer, decimal
    choices: list[tuple[str, str]] = field(default_factory=list)  # value, label

    @property
    def is_choice(self) -> bool:
        return self.kind in ("single", "multiple", "grid")


def items(survey: Survey, language: str | None = None) -> list[Item]:
    """Return what the toplines count, in questionnaire order, labelled in `language`."""
    text = lambda value: survey.text(value, language)  # noqa: E731
    result = []
    counted = {*Question.CHOICE_TYPES, *Question.NUMBER_TYPES}
    # A repeat's questions are answered per entry: their counts are the repeat's file
    # (the questionnaire value keeps them inside their repeat, not among its questions).
    for question in questionnaire_of(survey).questions():
        if question.type not in counted:
            continue
        choices = [(c.value, text(c.label)) for c in question.choices]
        if question.type == Question.Type.GRID:
            for row in question.rows:
                label = f"{text(question.label)} — {text(row.label)}"
                result.append(Item(row.variable, label, "grid", choices))
        else:
            result.append(Item(question.variable, text(question.label), question.type, choices))
    return result


def weighted_answers(survey: Survey, weighted: bool = False) -> Iterator[tuple[dict, float]]:
    """Yield each valid respondent's answers (with what the panel knew) and weight.

    Unweighted, every weight is 1; weighted, a submission without a weight counts 0
    (reports.weighting.weights_state says when weights are missing).
    """
    for known, answers, weight in (
        submissions_matching(survey, valid_only=True)
        .values_list("respondent__known", "answers", "weight")
        .iterator(chunk_size=2000)
    ):
        yield {**known, **answers}, (weight or 0.0) if weighted else 1.0


def _answered(value: Any) -> bool:
    return value not in (None, "", [])


@dataclass
class ToplineRow:
    value: str
    label: str
    count: int  # respondents, unweighted
    weighted: float  # summed weights (the count itself when unweighted)
    share: float
    margin: float

    @property
    def percent(self) -> float:
        return 100 * self.share

    @property
    def margin_percent(self) -> float:
        return 100 * self.margin

    @property
    def low_percent(self) -> float:
        return max(0.0, 100 * (self.share - self.margin))

    @property
    def high_percent(self) -> float:
        return min(100.0, 100 * (self.share + self.margin))


@dataclass
class Summary:
    """A number question's distribution among those who answered."""

    mean: float
    median: float
    minimum: float
    maximum: float


@dataclass
class Topline:
    item: Item
    base: int  # valid respondents who answered
    effective_base: float
    not_answered: int  # valid respondents not asked, or who left it empty
    rows: list[ToplineRow] = field(default_factory=list)
    summary: Summary | None = None


@dataclass
class ToplineReport:
    survey: Survey
    language: str
    weighted: bool
    respondents: int
    effective_base: float
    tables: list[Topline]


class _Tally:
    def __init__(self) -> None:
        self.base = 0
        self.weights = 0.0
        self.squares = 0.0
        self.counts: dict[str, int] = {}
        self.sums: dict[str, float] = {}
        self.numbers: list[tuple[float, float]] = []

    def add(self, values, weight: float) -> None:
        self.base += 1
        self.weights += weight
        self.squares += weight * weight
        for value in values:
            self.counts[value] = self.counts.get(value, 0) + 1
            self.sums[value] = self.sums.get(value, 0.0) + weight

    @property
    def effective_base(self) -> float:
        return self.weights**2 / self.squares if self.squares else 0.0


def _weighted_median(pairs: list[tuple[float, float]]) -> float:
    """Return the weighted median; where half the weight falls between two values, their mean."""
    pairs = sorted(p for p in pairs if p[1] > 0)
    half = sum(w for _, w in pairs) / 2
    running = 0.0
    for index, (value, weight) in enumerate(pairs):
        running += weight
        if math.isclose(running, half) and index + 1 < len(pairs):
            return (value + pairs[index + 1][0]) / 2
        if running > half:
            return value
    return pairs[-1][0]


def toplines(survey: Survey, language: str | None = None, *, weighted: bool = False):
    """Return every question's topline among valid respondents, labelled in `language`."""
    language = language or survey.default_language
    wanted = items(survey, language)
    tallies = {item.variable: _Tally() for item in wanted}
    respondents, total, squares = 0, 0.0, 0.0
    for answers, weight in weighted_answers(survey, weighted):
        respondents += 1
        total += weight
        squares += weight * weight
        for item in wanted:
            value = answers.get(item.variable)
            if not _answered(value):
                continue
            tally = tallies[item.variable]
            if item.is_choice:
                tally.add(
                    [str(v) for v in value] if isinstance(value, list) else [str(value)], weight
                )
            else:
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    continue
                tally.add([], weight)
                tally.numbers.append((number, weight))
    tables = []
    for item in wanted:
        tally = tallies[item.variable]
        n_eff = tally.effective_base
        table = Topline(item, tally.base, n_eff, respondents - tally.base)
        for value, label in item.choices:
            summed = tally.sums.get(value, 0.0)
            share = summed / tally.weights if tally.weights else 0.0
            table.rows.append(
                ToplineRow(
                    value,
                    label,
                    tally.counts.get(value, 0),
                    summed,
                    share,
                    margin_of_error(share, n_eff),
                )
            )
        if tally.numbers and tally.weights:
            numbers = [n for n, _ in tally.numbers]
            table.summary = Summary(
                mean=sum(n * w for n, w in tally.numbers) / tally.weights,
                median=_weighted_median(tally.numbers),
                minimum=min(numbers),
                maximum=max(numbers),
            )
        tables.append(table)
    return ToplineReport(
        survey,
        language,
        weighted,
        respondents,
        total**2 / squares if squares else 0.0,
        tables,
    )


def toplines_table(report: ToplineReport) -> Iterator[list]:
    """Yield the toplines as rows for a file: a header, then one line per answer."""
    yield [
        "variable",
        "question",
        "value",
        "answer",
        "count",
        "weighted_count",
        "percent",
        "margin_of_error",
        "base",
        "effective_base",
        "weighted",
    ]
    for table in report.tables:
        item = table.item
        common = [round(table.base), round(table.effective_base, 1), int(report.weighted)]
        for row in table.rows:
            yield [
                item.variable,
                item.label,
                row.value,
                row.label,
                row.count,
                round(row.weighted, 3),
                round(row.percent, 1),
                round(100 * row.margin, 1),
                *common,
            ]
        if table.summary:
            for name, label, value in (
                ("mean", _("mean"), table.summary.mean),
                ("median", _("median"), table.summary.median),
                ("minimum", _("minimum"), table.summary.minimum),
                ("maximum", _("maximum"), table.summary.maximum),
            ):
                yield [item.variable, item.label, name, label, "", "", round(value, 2), "", *common]


def toplines_csv(report: ToplineReport) -> bytes:
    """Return the toplines as CSV (UTF-8 with a byte-order mark, for Excel)."""
    from reports.exports import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in toplines_table(report):
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def toplines_xlsx(report: ToplineReport) -> bytes:
    """Return the toplines as an XLSX workbook; no text is ever written as a formula."""
    import xlsxwriter

    from reports.exports import neutralise

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet("toplines")
    for index, row in enumerate(toplines_table(report)):
        sheet.write_row(index, 0, [neutralise(v) for v in row])
    workbook.close()
    return buffer.getvalue()
