"""Celery tasks: each takes ids, calls one service, and owns retries and time limits."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from respondents.validation import (
    pending_submission_ids,
    submission_validate,
    survey_close_if_complete,
)
from surveys.models import Survey
from surveys.schedule import surveys_close_ended

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def validate_submission(submission_id: int, force: bool = False) -> str | None:
    """Run quality control on one submission; running it twice changes nothing."""
    submission = submission_validate(submission_id, force=force)
    return submission.verdict if submission is not None else None


@shared_task(acks_late=True, soft_time_limit=60, time_limit=120)
def sweep_pending() -> int:
    """Enqueue again the submissions whose validation never ran (broker or worker down)."""
    ids = pending_submission_ids(settings.VALIDATION_GRACE_SECONDS)
    for submission_id in ids:
        validate_submission.delay(submission_id)
    if ids:
        logger.info("re-enqueued %d submissions awaiting validation", len(ids))
    return len(ids)


def revalidate_enqueue(submissions) -> int:
    """Send the completed ones of `submissions` to quality control again; return how many."""
    from respondents.models import Submission

    ids = submissions.filter(status=Submission.Status.COMPLETED).values_list("pk", flat=True)
    count = 0
    for submission_id in ids.iterator():
        validate_submission.delay(submission_id, force=True)
        count += 1
    return count


def enqueue_validation(submission_id: int) -> None:
    """Ask a worker to validate; if the broker is down, the sweeper will ask again later."""
    try:
        validate_submission.delay(submission_id)
    except Exception:  # the broker's errors vary by transport; none may lose a submission
        logger.exception("could not enqueue validation of submission %s", submission_id)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=120)
def close_surveys() -> list[str]:
    """Close the surveys whose fieldwork has ended or whose target is reached; idempotent.

    Beat runs it every minute. A survey paused when its target was reached closes here
    once it resumes (validation closes only a live survey).
    """
    closed = surveys_close_ended()
    for survey in Survey.objects.filter(status=Survey.Status.LIVE, sample_target__gt=0):
        if survey_close_if_complete(survey):
            closed.append(survey.slug)
    if closed:
        logger.info("closed surveys: %s", ", ".join(closed))
    return closed
