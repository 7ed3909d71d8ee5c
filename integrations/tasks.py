"""Celery tasks of integrations: deliver a webhook, and sweep up lost deliveries."""

from __future__ import annotations

import logging

from celery import shared_task

from integrations.webhooks import delivery_attempt, enqueue, lost_delivery_ids

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30,
    time_limit=60,
)
def deliver_webhook(self, delivery_id: int) -> bool:
    """Send one delivery; retry with backoff until delivered or out of attempts.

    Idempotent: a delivered delivery is not sent again, and the attempts are bounded by
    the delivery's own count (WEBHOOK_MAX_ATTEMPTS), not by Celery's. With a broker each
    retry is a new message after the backoff, so no worker sits waiting.
    """
    while True:
        attempt = delivery_attempt(delivery_id)
        if attempt.retry_in is None:
            return attempt.sent
        if not self.request.is_eager:
            raise self.retry(countdown=attempt.retry_in, max_retries=None)
        # Run in process (no broker): there is no worker to come back later, so try
        # again now, as Celery's own eager retries do, ignoring the countdown.


@shared_task(acks_late=True, soft_time_limit=60, time_limit=120)
def sweep_deliveries() -> int:
    """Enqueue again deliveries whose retry never came (broker down, worker lost)."""
    ids = lost_delivery_ids()
    for delivery_id in ids:
        enqueue(delivery_id)
    if ids:
        logger.info("re-enqueued %d webhook deliveries", len(ids))
    return len(ids)
