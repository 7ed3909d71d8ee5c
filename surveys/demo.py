"""The demo study: the 2024 China–Kazakhstan mutual perception survey.

Both editions ship as XLSForm files in demo/gt2024/ and are loaded through the same
import service as any other form; their quota cells are allocated from the population
files beside them: adults where a file has an `adults` column for every cell, all
residents otherwise (the demo's files: no census count of adults by region or city was
at hand; see demo/gt2024/SOURCES.md and each file's source column). The same files give each
edition its weighting margin (region or city); the files and the published figures hold
no age or gender distribution, so the demo rakes on geography alone.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from surveys.models import Survey, WeightingMargin, WeightingScheme, WeightingTarget
from surveys.selectors import survey_definition
from surveys.services import (
    quota_cells_by_answer,
    quota_cells_define,
    survey_import_xlsform,
    survey_set_status,
)
from surveys.xlsform.reader import read_xlsform

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "gt2024"
# The demo's fieldwork is under way: today is this day of its window (the first is 1).
DEMO_DAY = 5


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


@dataclass
class DemoResult:
    survey: Survey
    created: bool
    notes: list[str] = field(default_factory=list)


def read_populations(path: Path) -> dict[str, int]:
    """Return {answer value: population} from a demo population file.

    The study's respondents are adults (18 to 70), so a file's `adults` column is used
    when it gives a census count for every row; otherwise all residents (`population`),
    since mixing the two would skew the allocation toward the cells counted whole.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    column = "adults" if rows and all((row.get("adults") or "").strip() for row in rows) else None
    return {row["value"]: int(row[column or "population"]) for row in rows}


def _define_margins(survey: Survey, edition: Edition) -> None:
    """Give the survey its geography as a weighting margin, once; later edits are kept."""
    scheme, _ = WeightingScheme.objects.get_or_create(survey=survey)
    if scheme.margins.exists():
        return
    margin = WeightingMargin.objects.create(scheme=scheme, variable=edition.geography)
    WeightingTarget.objects.bulk_create(
        WeightingTarget(margin=margin, category=value, population=population)
        for value, population in read_populations(DEMO_DIR / edition.populations).items()
    )


def demo_window(
    study_start: datetime.date, study_end: datetime.date, today: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """Return a fieldwork window as long as the study's, of which today is day DEMO_DAY."""
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=DEMO_DAY - 1)
    return start, start + (study_end - study_start)


def _place_window(survey: Survey) -> str:
    """Move a new demo survey's fieldwork window to today; return a note saying so.

    The XLSForm keeps the study's own dates (2024-06-10 to 2024-06-24, its reference
    design); a demo whose window lay two years back would show every cell lagging and
    no fieldwork to try.
    """
    study = (survey.fieldwork_start, survey.fieldwork_end)
    if None in study:
        return ""
    start, end = demo_window(*study)
    Survey.objects.filter(pk=survey.pk).update(fieldwork_start=start, fieldwork_end=end)
    survey.fieldwork_start, survey.fieldwork_end = start, end
    return (
        f"fieldwork window placed at {start} to {end}, so that today is day {DEMO_DAY} of "
        f"its {(end - start).days + 1}; the study's own was {study[0]} to {study[1]}"
    )


def _load_edition(edition: Edition) -> DemoResult:
    existing = Survey.objects.filter(slug=edition.slug).first()
    if existing is not None and existing.status != Survey.Status.DRAFT:
        _define_margins(existing, edition)
        # A live demo keeps its questionnaire and its data; say so if the file moved on.
        on_file = read_xlsform(DEMO_DIR / edition.form).definition
        # its fieldwork window was placed when it was loaded (see _place_window)
        on_file = replace(
            on_file,
            fieldwork_start=existing.fieldwork_start,
            fieldwork_end=existing.fieldwork_end,
        )
        notes = []
        if survey_definition(existing) != on_file:
            notes.append(
                f"{edition.form} differs from the live survey, which is kept as it is; "
                "run load_demo --reset to start the demo again from the files"
            )
        return DemoResult(existing, created=False, notes=notes)
    result = survey_import_xlsform(DEMO_DIR / edition.form, edition.slug)
    survey = result.survey
    if not survey.quota_cells.exists():
        # Cells are allocated once; targets edited afterwards in the admin are kept.
        quota_cells_define(
            survey,
            quota_cells_by_answer(
                survey,
                edition.geography,
                read_populations(DEMO_DIR / edition.populations),
                survey.sample_target,
            ),
        )
    _define_margins(survey, edition)
    placed = _place_window(survey)
    survey_set_status(survey, Survey.Status.LIVE)
    return DemoResult(
        survey, created=result.created, notes=[*result.notes, *([placed] if placed else [])]
    )


@transaction.atomic
def demo_load(*, reset: bool = False) -> list[DemoResult]:
    """Create the two editions, live; running it again changes nothing.

    With `reset`, the demo surveys and everything collected for them are deleted first.
    """
    if reset:
        Survey.objects.filter(slug__in=[e.slug for e in EDITIONS]).delete()
    return [_load_edition(edition) for edition in EDITIONS]
