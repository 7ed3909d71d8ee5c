"""Reads about respondents and their submissions."""

from __future__ import annotations

import statistics

from django.core.cache import cache

from respondents.models import Submission
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
