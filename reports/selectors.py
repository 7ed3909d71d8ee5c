"""What the field manager's dashboard shows, read from kept counts.

Every read here costs a fixed number of queries, whatever the number of cells or
submissions: the counts are kept by the pipeline (respondents.stats), never recounted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import get_language

from respondents.models import DailyStats, RuleStats, Submission, SurveyStats, Verdict
from respondents.quality import INTERVIEWER_RULES
from respondents.selectors import interview_median
from surveys.models import Survey

# A cell lags when its share of target confirmed is this far behind the share of
# fieldwork time gone.
LAG_TOLERANCE = 0.8


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


def survey_overview(surveys) -> list[dict]:
    """Return each survey with its headline: valid / target, reserved, share."""
    rows = []
    for survey in surveys.select_related("stats").order_by("slug"):
        stats = getattr(survey, "stats", None) or SurveyStats(survey=survey)
        reserved = stats.completed - stats.valid - stats.invalid
        rows.append(
            {
                "survey": survey,
                "valid": stats.valid,
                "reserved": max(reserved, 0),
                "target": survey.sample_target,
                "share": _share(stats.valid, survey.sample_target),
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
                lagging=state == "open" and elapsed is not None and share < elapsed * LAG_TOLERANCE,
            )
        )
    screened = stats.completed + stats.screened_out + stats.over_quota
    in_progress = stats.started - screened
    median, sample = interview_median(survey)
    daily = list(DailyStats.objects.filter(survey=survey).order_by("day"))
    return {
        "survey": survey,
        "stats": stats,
        "cells": cells,
        "elapsed": elapsed,
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
