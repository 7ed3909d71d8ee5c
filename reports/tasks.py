"""Celery tasks of the reports: each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task

from reports.export_jobs import export_run

# A million-row export takes minutes; the broker's visibility timeout (an hour by default)
# must stay longer than this, or a slow export would be handed to a second worker.
EXPORT_SOFT_TIME_LIMIT = 40 * 60
EXPORT_TIME_LIMIT = 45 * 60


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=EXPORT_SOFT_TIME_LIMIT,
    time_limit=EXPORT_TIME_LIMIT,
)
def build_export(job_id: int) -> str | None:
    """Build export job `job_id`'s file; running it again on a finished job does nothing."""
    job = export_run(job_id)
    return job.status if job is not None else None
