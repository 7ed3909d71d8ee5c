"""Keeping the fieldwork counts that dashboards read.

Each function is called inside the transaction of the change it counts, so a count
never runs ahead of, or behind, what it counts.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from respondents.models import (
    DailyStats,
    Respondent,
    RuleStats,
    Submission,
    SurveyStats,
    Verdict,
)
from surveys.models import Survey


def _add(queryset, create, changes: Mapping[str, float]) -> None:
    """Add `changes` to the row `queryset` selects, creating it the first time."""
    update = {field: F(field) + delta for field, delta in changes.items()}
    if not queryset.update(**update):
        try:
            with transaction.atomic():
                create()
        except IntegrityError:  # created meanwhile by another transaction
            pass
        queryset.update(**update)


def count(survey_id: int, **changes: float) -> None:
    """Add `changes` (field=delta) to a survey's funnel counts."""
    changes = {field: delta for field, delta in changes.items() if delta}
    if changes:
        _add(
            SurveyStats.objects.filter(survey_id=survey_id),
            lambda: SurveyStats.objects.create(survey_id=survey_id),
            changes,
        )


def count_day(survey_id: int, day: datetime.date, **changes: int) -> None:
    _add(
        DailyStats.objects.filter(survey_id=survey_id, day=day),
        lambda: DailyStats.objects.create(survey_id=survey_id, day=day),
        changes,
    )


def count_verdict(submission: Submission, old: str, new: str) -> None:
    """Move the valid and invalid counts when a submission's verdict changes."""
    if old == new:
        return
    deltas = {Verdict.VALID: "valid", Verdict.INVALID: "invalid"}
    changes = {}
    if old in deltas:
        changes[deltas[old]] = -1
    if new in deltas:
        changes[deltas[new]] = changes.get(deltas[new], 0) + 1
    count(submission.survey_id, **changes)
    if submission.ended and (Verdict.VALID in (old, new)):
        count_day(
            submission.survey_id,
            timezone.localdate(submission.ended),
            valid=1 if new == Verdict.VALID else -1,
        )


def count_rules(survey_id: int, old: Mapping[str, dict], new: Mapping[str, dict]) -> None:
    """Move the per-rule failure counts from a submission's old results to its new ones."""
    for rule in set(old) | set(new):
        was = not old.get(rule, {"passed": True})["passed"]
        now = not new.get(rule, {"passed": True})["passed"]
        if was != now:
            _add(
                RuleStats.objects.filter(survey_id=survey_id, rule=rule),
                lambda rule=rule: RuleStats.objects.create(survey_id=survey_id, rule=rule),
                {"failed": 1 if now else -1},
            )


def recount(survey: Survey) -> SurveyStats:
    """Rebuild a survey's counts from its respondents and submissions (a repair tool)."""
    by_status = dict(
        Submission.objects.filter(survey=survey)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    submissions = Submission.objects.filter(survey=survey)
    totals = submissions.aggregate(
        valid=Count("pk", filter=Q(verdict=Verdict.VALID)),
        invalid=Count("pk", filter=Q(verdict=Verdict.INVALID)),
        seconds=Sum("seconds", filter=Q(status=Submission.Status.COMPLETED)),
    )
    SurveyStats.objects.update_or_create(
        survey=survey,
        defaults={
            "invited": Respondent.objects.filter(survey=survey).count(),
            "started": submissions.count(),
            "screened_out": by_status.get(Submission.Status.SCREENED_OUT, 0),
            "over_quota": by_status.get(Submission.Status.OVER_QUOTA, 0),
            "completed": by_status.get(Submission.Status.COMPLETED, 0),
            "valid": totals["valid"],
            "invalid": totals["invalid"],
            "seconds_total": totals["seconds"] or 0,
        },
    )
    DailyStats.objects.filter(survey=survey).delete()
    days: dict[datetime.date, list[int]] = {}
    for ended, verdict in submissions.filter(status=Submission.Status.COMPLETED).values_list(
        "ended", "verdict"
    ):
        day = days.setdefault(timezone.localdate(ended), [0, 0])
        day[0] += 1
        day[1] += verdict == Verdict.VALID
    DailyStats.objects.bulk_create(
        DailyStats(survey=survey, day=day, completed=c, valid=v) for day, (c, v) in days.items()
    )
    RuleStats.objects.filter(survey=survey).delete()
    failures: dict[str, int] = {}
    for results in submissions.exclude(qc_results={}).values_list("qc_results", flat=True):
        for rule, result in results.items():
            failures[rule] = failures.get(rule, 0) + (not result["passed"])
    RuleStats.objects.bulk_create(
        RuleStats(survey=survey, rule=rule, failed=n) for rule, n in failures.items()
    )
    return SurveyStats.objects.get(survey=survey)
