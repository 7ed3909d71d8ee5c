"""Celery tasks of the mailings: each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task

from mailings import sending, services
from surveys.models import Survey


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=60, time_limit=90)
def send_due(survey_id: int) -> float | None:
    """Send the survey's due messages for a while, then hand over to the next task.

    Running it twice at once does nothing more: the second finds the survey's lease held.
    """
    wait = sending.survey_send_due(survey_id)
    # Without a broker a task runs in the caller; later retries are the sweeper's.
    if wait is not None and not (send_due.app.conf.task_always_eager and wait > 0):
        send_due.apply_async((survey_id,), countdown=wait)
    return wait


@shared_task(acks_late=True)
def sweep() -> int:
    """Start a sender for every survey with messages due and nobody sending them."""
    surveys = sending.surveys_with_due_messages()
    for survey_id in surveys:
        send_due.delay(survey_id)
    return len(surveys)


@shared_task(acks_late=True)
def remind_all() -> int:
    """Create the reminder waves due now, for every live survey."""
    waves = 0
    for survey in Survey.objects.filter(status=Survey.Status.LIVE, mailing__reminder_max__gt=0):
        waves += services.reminders_send(survey) is not None
    return waves
