"""What the field manager's dashboard shows, read from kept counts.

Every read here costs a fixed number of queries, whatever the number of cells or
submissions: the counts are kept by the pipeline (respondents.stats), never recounted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import get_language

from respondents.models import DailyStats, RuleStats, Submission, SurveyStats, Verdict
from respondents.quality import INTERVIEWER_RULES
from respondents.selectors import interview_median
from surveys import schedule
from surveys.models import QuotaCell, Survey

# A cell lags when its share of target confirmed is this far behind the share of
# fieldwork time gone.
LAG_TOLERANCE = 0.8
# A survey whose fieldwork ends within this many days, with a cell lagging, is flagged.
ENDING_SOON_DAYS = 3


@dataclass
class CellRow:
    name: str
    label: str
    target: int
    confirmed: int
    reserved: int
    released: int
    state: str
    share: float
    lagging: bool


def survey_language(survey: Survey) -> str:
    """The survey's language closest to the interface's: the dashboard's language for
    the survey's own texts (cell names), else the survey's default language."""
    interface = (get_language() or "").lower()
    for code in survey.languages:
        if code.lower() == interface:
            return code
    base = interface.split("-")[0]
    for code in survey.languages:
        if code.lower().split("-")[0] == base:
            return code
    return survey.default_language


def fieldwork_elapsed(survey: Survey, today: datetime.date | None = None) -> float | None:
    """Return the share (0 to 1) of the fieldwork period gone, or None without dates."""
    if not survey.fieldwork_start or not survey.fieldwork_end:
        return None
    today = today or timezone.localdate()
    days = (survey.fieldwork_end - survey.fieldwork_start).days + 1
    gone = (today - survey.fieldwork_start).days + 1
    return min(max(gone / days, 0.0), 1.0)


@dataclass
class InterviewerRow:
    username: str
    name: str
    completed: int
    valid: int
    invalid: int
    pending: int
    mean_minutes: float | None
    failures: dict[str, int]  # interviewer rule -> interviews failing it


def completes_by_mode(survey: Survey) -> list[tuple[str, str, int]]:
    """Return each mode (web, CAPI, API) with its label and completed questionnaires."""
    counts = dict(
        Submission.objects.filter(survey=survey, status=Submission.Status.COMPLETED)
        .order_by()
        .values_list("mode")
        .annotate(n=Count("pk"))
    )
    return [(mode, label, counts.get(mode, 0)) for mode, label in Submission.Mode.choices]


def interviewer_work(survey: Survey) -> list[InterviewerRow]:
    """Return each interviewer's completes, verdicts, mean length and rule failures.

    One query, over the survey's face-to-face interviews only (those with an
    interviewer, found by their index), most completes first.
    """
    completed = Q(status=Submission.Status.COMPLETED)
    failures = {
        rule: Count("pk", filter=completed & Q(**{f"qc_results__{rule}__passed": False}))
        for rule in INTERVIEWER_RULES
    }
    rows = (
        Submission.objects.filter(survey=survey, interviewer__isnull=False)
        .order_by()
        .values("interviewer__username", "interviewer__first_name", "interviewer__last_name")
        .annotate(
            completed=Count("pk", filter=completed),
            valid=Count("pk", filter=completed & Q(verdict=Verdict.VALID)),
            invalid=Count("pk", filter=completed & Q(verdict=Verdict.INVALID)),
            seconds=Avg("seconds", filter=completed),
            **failures,
        )
        .order_by("-completed", "interviewer__username")
    )
    return [
        InterviewerRow(
            username=row["interviewer__username"],
            name=" ".join(
                part
                for part in (row["interviewer__first_name"], row["interviewer__last_name"])
                if part
            ),
            completed=row["completed"],
            valid=row["valid"],
            invalid=row["invalid"],
            pending=row["completed"] - row["valid"] - row["invalid"],
            mean_minutes=row["seconds"] / 60 if row["seconds"] is not None else None,
            failures={rule: row[rule] for rule in INTERVIEWER_RULES},
        )
        for row in rows
    ]


def _is_lagging(cell: QuotaCell, state: str, elapsed: float | None) -> bool:
    share = _share(cell.confirmed, cell.target)
    return state == "open" and elapsed is not None and share < elapsed * LAG_TOLERANCE


def ending_soon(survey: Survey, today: datetime.date | None = None) -> int | None:
    """Return the days of fieldwork left (0: today is the last) when it ends within
    ENDING_SOON_DAYS and still takes answers or is paused; else None."""
    today = today or timezone.localdate()
    phase = schedule.phase(survey, today)
    if phase not in (schedule.Phase.OPEN, schedule.Phase.PAUSED) or not survey.fieldwork_end:
        return None
    left = (survey.fieldwork_end - today).days
    return left if left < ENDING_SOON_DAYS else None


def survey_overview(surveys, today: datetime.date | None = None) -> list[dict]:
    """Return each survey with its headline: valid / target, reserved, share; and its
    phase, flagged when it ends soon with lagging cells (one query for every cell)."""
    rows = []
    # Waves of one study side by side (`Survey.study`), in order; the rest by slug.
    by_study = Coalesce(NullIf("study", Value("")), "slug")
    surveys = list(surveys.select_related("stats").order_by(by_study, "wave", "slug"))
    cells: dict[int, list[QuotaCell]] = {}
    soon = {survey.pk: ending_soon(survey, today) for survey in surveys}
    for cell in QuotaCell.objects.filter(
        survey__in=[pk for pk, left in soon.items() if left is not None]
    ).only("survey_id", "target", "confirmed", "reserved", "is_hard"):
        cells.setdefault(cell.survey_id, []).append(cell)
    for survey in surveys:
        stats = getattr(survey, "stats", None) or SurveyStats(survey=survey)
        reserved = stats.completed - stats.valid - stats.invalid
        rows.append(
            {
                "survey": survey,
                "valid": stats.valid,
                "reserved": max(reserved, 0),
                "target": survey.sample_target,
                "share": _share(stats.valid, survey.sample_target),
                "phase": schedule.phase(survey, today).value,
                "days_left": soon[survey.pk],
                "lagging_at_end": soon[survey.pk] is not None
                and any(
                    _is_lagging(cell, cell.state(survey.status), fieldwork_elapsed(survey, today))
                    for cell in cells.get(survey.pk, [])
                ),
            }
        )
    return rows


def survey_dashboard(survey: Survey, today: datetime.date | None = None) -> dict:
    """Return everything the survey page shows, in a fixed number of queries."""
    stats = SurveyStats.objects.filter(survey=survey).first() or SurveyStats(survey=survey)
    elapsed = fieldwork_elapsed(survey, today)
    cells = []
    for cell in survey.quota_cells.order_by("position", "name"):
        share = _share(cell.confirmed, cell.target)
        state = cell.state(survey.status)
        cells.append(
            CellRow(
                name=cell.name,
                label=survey.text(cell.label, survey_language(survey)),
                target=cell.target,
                confirmed=cell.confirmed,
                reserved=cell.reserved,
                released=cell.released,
                state=state,
                share=share,
                lagging=_is_lagging(cell, state, elapsed),
            )
        )
    days_left = ending_soon(survey, today)
    screened = stats.completed + stats.screened_out + stats.over_quota
    in_progress = stats.started - screened
    median, sample = interview_median(survey)
    daily = list(DailyStats.objects.filter(survey=survey).order_by("day"))
    return {
        "survey": survey,
        "stats": stats,
        "cells": cells,
        "elapsed": elapsed,
        "phase": schedule.phase(survey, today).value,
        "days_left": days_left,
        "lagging_at_end": days_left is not None and any(cell.lagging for cell in cells),
        "headline": {
            "valid": stats.valid,
            "target": survey.sample_target,
            "share": _share(stats.valid, survey.sample_target),
            "reserved": max(stats.completed - stats.valid - stats.invalid, 0),
        },
        "funnel": [
            ("invited", stats.invited),
            ("started", stats.started),
            ("screened_out", stats.screened_out),
            ("over_quota", stats.over_quota),
            ("completed", stats.completed),
            ("valid", stats.valid),
            ("invalid", stats.invalid),
        ],
        # Incidence: of those who got through screening or were turned away by it, the
        # share who were eligible; drop-off: of those who started, the share who left.
        "incidence": _share(stats.completed + stats.over_quota, screened),
        "drop_off": _share(max(in_progress, 0), stats.started),
        "median_minutes": median / 60 if sample else None,
        "daily": daily,
        "daily_max": max((d.completed for d in daily), default=0),
        "rules": list(RuleStats.objects.filter(survey=survey, failed__gt=0).order_by("-failed")),
        "modes": completes_by_mode(survey),
        "interviewers": interviewer_work(survey),
        "interviewer_rules": INTERVIEWER_RULES,
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
