"""Reads about respondents and their submissions."""

from __future__ import annotations

import datetime
import statistics

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from fieldwork import plainsql
from respondents.models import Respondent, Submission, Verdict
from surveys.models import Survey

RECENT_INTERVIEWS = 500
MEDIAN_CACHE_SECONDS = 60


def interview_median(survey: Survey) -> tuple[float, int]:
    """Return the running median interview length and its sample size.

    Recomputed at most every MEDIAN_CACHE_SECONDS per survey: a median of hundreds of
    interviews does not move with one more.
    """
    key = f"qc:median:{survey.pk}"
    cached = cache.get(key)
    if cached is None:
        recent = list(
            Submission.objects.filter(
                survey=survey, status=Submission.Status.COMPLETED, seconds__isnull=False
            )
            .order_by("-ended")
            .values_list("seconds", flat=True)[:RECENT_INTERVIEWS]
        )
        cached = (statistics.median(recent) if recent else 0.0, len(recent))
        cache.set(key, cached, timeout=MEDIAN_CACHE_SECONDS)
    return cached


def respondent_for_link(token: str) -> Respondent | None:
    """Return the respondent of a link with their survey and submission, in one statement.

    Every respondent page needs all three. One hand-written join instead of three ORM
    queries, or of one ORM select_related, whose compiling cost four times its running
    (fieldwork.plainsql). The submission (None before the respondent starts) is then
    `submission_of`'s, with its survey and respondent attached.
    """
    tables = {model: model._meta.db_table for model in (Respondent, Survey, Submission)}
    sql = (
        f"SELECT {plainsql.columns(Respondent, 'r')}, {plainsql.columns(Survey, 'v')}, "
        f"{plainsql.columns(Submission, 's')} "
        f"FROM {tables[Respondent]} r "
        f"INNER JOIN {tables[Survey]} v ON v.id = r.survey_id "
        f"LEFT OUTER JOIN {tables[Submission]} s ON s.respondent_id = r.id "
        "WHERE r.token = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [token])
        row = cursor.fetchone()
    if row is None:
        return None
    ends = plainsql.width(Respondent), plainsql.width(Respondent) + plainsql.width(Survey)
    respondent = plainsql.instance(Respondent, row[: ends[0]])
    survey = plainsql.instance(Survey, row[ends[0] : ends[1]])
    Respondent.survey.field.set_cached_value(respondent, survey)
    submission = None
    if row[ends[1]] is not None:  # the submission's id: there is one
        submission = plainsql.instance(Submission, row[ends[1] :])
        Submission.survey.field.set_cached_value(submission, survey)
        Submission.respondent.field.set_cached_value(submission, respondent)
    Respondent.submission.related.set_cached_value(respondent, submission)
    return respondent


def submission_of(respondent: Respondent) -> Submission | None:
    """Return the respondent's submission, None before they start (no query once read)."""
    try:
        return respondent.submission
    except Submission.DoesNotExist:
        return None


def submissions_matching(
    survey: Survey,
    *,
    status: str = "",
    verdict: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    cell: str = "",
    valid_only: bool = False,
) -> QuerySet[Submission]:
    """Return the survey's submissions that pass every filter given, in the order stored.

    The one spelling of the filters that the API's submission list, the dashboard's
    exports and the review queue offer: a status, a verdict, ended on or after `since`
    and on or before `until` (dates), holding a slot in the quota cell named `cell`, or
    only the valid completes (`valid_only`, what a dataset holds).
    """
    queryset = Submission.objects.filter(survey=survey)
    if valid_only:
        queryset = queryset.filter(status=Submission.Status.COMPLETED, verdict=Verdict.VALID)
    if status:
        queryset = queryset.filter(status=status)
    if verdict:
        queryset = queryset.filter(verdict=verdict)
    if since:
        queryset = queryset.filter(ended__date__gte=since)
    if until:
        queryset = queryset.filter(ended__date__lte=until)
    if cell:
        queryset = queryset.filter(slots__cell__name=cell)
    return queryset.order_by("pk")
