"""The demo study: the 2024 China–Kazakhstan mutual perception survey.

Both editions ship as XLSForm files in demo/gt2024/ and are loaded through the same
import service as any other form; their quota cells are allocated from the population
files beside them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from surveys.models import Survey
from surveys.services import (
    ImportResult,
    quota_cells_by_answer,
    quota_cells_define,
    survey_import_xlsform,
    survey_set_status,
)

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "gt2024"


@dataclass(frozen=True)
class Edition:
    slug: str
    form: str
    geography: str  # the question whose answer decides the quota cell
    populations: str


EDITIONS = (
    Edition("gt2024-china", "china.csv", "city", "china_population.csv"),
    Edition("gt2024-kazakhstan", "kazakhstan.csv", "region", "kazakhstan_population.csv"),
)


def read_populations(path: Path) -> dict[str, int]:
    """Return {answer value: population} from a demo population file."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["value"]: int(row["population"]) for row in csv.DictReader(handle)}


@transaction.atomic
def demo_load() -> list[ImportResult]:
    """Create or confirm both editions; running it again changes nothing."""
    results = []
    for edition in EDITIONS:
        result = survey_import_xlsform(DEMO_DIR / edition.form, edition.slug)
        survey = result.survey
        cells = quota_cells_by_answer(
            survey,
            edition.geography,
            read_populations(DEMO_DIR / edition.populations),
            survey.sample_target,
        )
        current = [
            (cell.name, cell.label, cell.condition, cell.target, cell.is_hard)
            for cell in survey.quota_cells.all()
        ]
        wanted = [(c.name, c.label, c.condition, c.target, c.is_hard) for c in cells]
        if current != wanted:
            quota_cells_define(survey, cells)
        if survey.status == Survey.Status.DRAFT:
            survey_set_status(survey, Survey.Status.LIVE)
        results.append(result)
    return results
