"""Keeping the fieldwork counts that dashboards read.

Each function is called inside the transaction of the change it counts, so a count
never runs ahead of, or behind, what it counts.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
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


def add_statement(model, keys: Mapping[str, Any], changes: Mapping[str, float]) -> tuple[str, list]:
    """The statement that adds `changes` to the row of `model` that `keys` select.

    The row is created the first time, each other column at its default: an INSERT ... ON
    CONFLICT DO UPDATE, which PostgreSQL and SQLite both accept, on the unique constraint
    that `keys` name. The row inserted never holds a negative count (a count cannot fall
    before it rises, and the columns' checks would refuse it even when the row exists).
    Plain SQL: it runs several times per questionnaire, and building it with the ORM cost
    more than running it (ADR 0011).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    values = []
    for field in fields:
        if field.attname in keys:
            values.append(_param(keys[field.attname]))
        else:
            values.append(field.get_default() + max(changes.get(field.attname, 0), 0))
    columns = [model._meta.get_field(name).column for name in changes]
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(quote(model._meta.get_field(k).column) for k in keys)}) "
        f"DO UPDATE SET {', '.join(f'{quote(c)} = {table}.{quote(c)} + %s' for c in columns)}"
    )
    return sql, [*values, *changes.values()]


def _add(model, keys: Mapping[str, Any], changes: Mapping[str, float]) -> None:
    """Add `changes` to the row of `model` that `keys` select, creating it the first time."""
    if not changes:
        return
    with connection.cursor() as cursor:
        cursor.execute(*add_statement(model, keys, changes))


def _param(value: Any) -> Any:
    return (
        connection.ops.adapt_datefield_value(value) if isinstance(value, datetime.date) else value
    )


def count(survey_id: int, **changes: float) -> None:
    """Add `changes` (field=delta) to a survey's funnel counts."""
    _add(SurveyStats, {"survey_id": survey_id}, {f: d for f, d in changes.items() if d})


def count_day(survey_id: int, day: datetime.date, **changes: int) -> None:
    _add(DailyStats, {"survey_id": survey_id, "day": day}, changes)


def day_statement(survey_id: int, ended: datetime.datetime, **changes: int) -> tuple[str, list]:
    """The statement that adds `changes` to the counts of the day a submission `ended`."""
    return add_statement(
        DailyStats, {"survey_id": survey_id, "day": timezone.localdate(ended)}, changes
    )


def verdict_changes(old: str, new: str) -> dict[str, int]:
    """Return how the survey's valid and invalid counts move when a verdict changes."""
    deltas = {Verdict.VALID: "valid", Verdict.INVALID: "invalid"}
    changes: dict[str, int] = {}
    if old != new:
        if old in deltas:
            changes[deltas[old]] = -1
        if new in deltas:
            changes[deltas[new]] = changes.get(deltas[new], 0) + 1
    return changes


def day_valid_change(submission: Submission, old: str, new: str) -> int:
    """Return how the valid count of the submission's day moves when its verdict changes."""
    if old == new or not submission.ended or Verdict.VALID not in (old, new):
        return 0
    return 1 if new == Verdict.VALID else -1


def rule_changes(old: Mapping[str, dict], new: Mapping[str, dict]) -> dict[str, int]:
    """Return how each rule's failure count moves from a submission's old results to its new."""
    changes = {}
    for rule in set(old) | set(new):
        was = not old.get(rule, {"passed": True})["passed"]
        now = not new.get(rule, {"passed": True})["passed"]
        if was != now:
            changes[rule] = 1 if now else -1
    return changes


def recount(survey: Survey) -> SurveyStats:
    """Rebuild a survey's counts from its respondents and submissions (a repair tool).

    Test links and their submissions count nowhere (ADR 0026).
    """
    by_status = dict(
        Submission.objects.filter(survey=survey, is_test=False)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    submissions = Submission.objects.filter(survey=survey, is_test=False)
    totals = submissions.aggregate(
        valid=Count("pk", filter=Q(verdict=Verdict.VALID)),
        invalid=Count("pk", filter=Q(verdict=Verdict.INVALID)),
        seconds=Sum("seconds", filter=Q(status=Submission.Status.COMPLETED)),
    )
    SurveyStats.objects.update_or_create(
        survey=survey,
        defaults={
            "invited": Respondent.objects.filter(survey=survey)
            .exclude(source=Respondent.Source.TEST)
            .count(),
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
