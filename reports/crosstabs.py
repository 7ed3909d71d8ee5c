"""Crosstabs: any choice question by any single-choice question, as column percentages.

Each column is one answer of the column question; a cell is the share of that column's
respondents (weighted or not) giving the row's answer, so a multiple-choice row can sum
past 100%. Respondents who did not answer both questions are left out of the table.
An integer question (age) can be a column too, cut into bands such as 18-29,30-44,45+:
the bands of its weighting margin when it has one, else the ones asked for, else its
quartiles among valid respondents.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from django.utils.translation import gettext as _

from fieldwork.errors import Refused
from reports.toplines import Item, items, margin_of_error, weighted_answers
from reports.weighting import RANGE
from surveys.models import Survey

# A column of fewer respondents than this is flagged: its margins are too wide to compare.
LOW_BASE = 30


@dataclass
class Column:
    value: str
    label: str
    base: int  # respondents in the column, unweighted
    weighted_base: float
    effective_base: float

    @property
    def low_base(self) -> bool:
        """Too few respondents (effective, when weighted) for percentages to be read."""
        return min(self.base, self.effective_base or self.base) < LOW_BASE


@dataclass
class Row:
    value: str
    label: str
    cells: list[float]  # share per column, then the total
    margins: list[float]  # 95% margin of error of each cell

    @property
    def percents(self) -> list[tuple[float, float]]:
        """Return (percent, margin of error in points) per cell."""
        return [(100 * c, 100 * m) for c, m in zip(self.cells, self.margins, strict=True)]


@dataclass
class Crosstab:
    row: Item
    column: Item
    weighted: bool
    columns: list[Column]  # the column question's answers, then the total
    rows: list[Row]
    bands: str = ""  # the bands an integer column was cut into
    low_base_limit: int = LOW_BASE

    @property
    def low_columns(self) -> list[Column]:
        return [column for column in self.columns if column.low_base]


def crosstab_choices(survey: Survey, language: str | None = None) -> tuple[list, list]:
    """Return the items that can be rows (any choice question) and columns (single choice
    questions, grid rows, and integer questions to be cut into bands)."""
    every = items(survey, language)
    rows = [item for item in every if item.is_choice]
    return rows, [item for item in every if item.kind in ("single", "grid", "integer")]


Band = tuple[str, int, int | None]  # label, lowest, highest (None: no upper end)


def parse_bands(text: str) -> list[Band]:
    """Read bands such as "18-29, 30-44, 45+"; raise Refused naming a bad one."""
    bands = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        match = RANGE.match(part)
        if not match:
            raise Refused([_("'%(band)s' is not a band such as 18-29 or 65+") % {"band": part}])
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else None
        if high is not None and high < low:
            raise Refused([_("'%(band)s' ends before it starts") % {"band": part}])
        bands.append((part.replace(" ", ""), low, high))
    if not bands:
        raise Refused([_("Give at least one band, such as 18-29.")])
    return bands


def default_bands(survey: Survey, variable: str) -> str:
    """Return the bands of `variable`'s weighting margin, or its quartiles."""
    from surveys.models import WeightingMargin

    margin = WeightingMargin.objects.filter(scheme__survey=survey, variable=variable).first()
    if margin is not None and margin.targets.exists():
        return ",".join(t.category for t in margin.targets.all())
    values = sorted(
        int(answers[variable])
        for answers, _weight in weighted_answers(survey)
        if str(answers.get(variable, "")).lstrip("-").isdigit()
    )
    if not values:
        return ""
    cuts = sorted({values[len(values) * q // 4] for q in (1, 2, 3)} - {values[0]})
    edges = [values[0], *cuts]
    bands = [f"{low}-{high - 1}" for low, high in pairwise(edges)]
    return ",".join([*bands, f"{edges[-1]}+"])


def _band_of(bands: list[Band], answer) -> str | None:
    try:
        number = int(answer)
    except (TypeError, ValueError):
        return None
    for label, low, high in bands:
        if number >= low and (high is None or number <= high):
            return label
    return None


def crosstab(
    survey: Survey,
    row_variable: str,
    column_variable: str,
    language: str | None = None,
    *,
    weighted: bool = False,
    bands: str = "",
) -> Crosstab:
    """Return `row_variable` by `column_variable` among valid respondents answering both.

    An integer column is cut into `bands` ("18-29,30-44,45+"; see default_bands).
    """
    rows_, columns_ = crosstab_choices(survey, language or survey.default_language)
    row = next((i for i in rows_ if i.variable == row_variable), None)
    column = next((i for i in columns_ if i.variable == column_variable), None)
    errors = []
    if row is None:
        errors.append(
            _("'%(variable)s' is not a choice question of this survey.")
            % {"variable": row_variable}
        )
    if column is None:
        errors.append(
            _("'%(variable)s' is not a single-choice question of this survey.")
            % {"variable": column_variable}
        )
    if errors:
        raise Refused(errors)
    banded = column.kind == "integer"
    if banded:
        bands = bands or default_bands(survey, column.variable)
        cut = parse_bands(bands)
        column = Item(column.variable, column.label, column.kind, [(b[0], b[0]) for b in cut])
    position = {value: index for index, (value, _) in enumerate(column.choices)}
    width = len(column.choices) + 1  # the answers, then the total
    bases = [0] * width
    weights = [0.0] * width
    squares = [0.0] * width
    sums = {value: [0.0] * width for value, _ in row.choices}
    for answers, weight in weighted_answers(survey, weighted):
        across = answers.get(column.variable)
        if banded:
            across = _band_of(cut, across)
        down = answers.get(row.variable)
        if across in (None, "") or down in (None, "", []):
            continue
        index = position.get(str(across))
        if index is None:
            continue
        chosen = [str(v) for v in down] if isinstance(down, list) else [str(down)]
        for at in (index, width - 1):
            bases[at] += 1
            weights[at] += weight
            squares[at] += weight * weight
            for value in chosen:
                if value in sums:
                    sums[value][at] += weight
    effective = [w * w / s if s else 0.0 for w, s in zip(weights, squares, strict=True)]
    columns = [
        Column(value, label, bases[i], weights[i], effective[i])
        for i, (value, label) in enumerate(column.choices)
    ] + [Column("", _("Total"), bases[-1], weights[-1], effective[-1])]
    table_rows = []
    for value, label in row.choices:
        shares = [s / w if w else 0.0 for s, w in zip(sums[value], weights, strict=True)]
        table_rows.append(
            Row(
                value,
                label,
                shares,
                [margin_of_error(p, n) for p, n in zip(shares, effective, strict=True)],
            )
        )
    return Crosstab(row, column, weighted, columns, table_rows, bands if banded else "")
