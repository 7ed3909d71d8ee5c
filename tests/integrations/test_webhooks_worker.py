"""Webhook delivery by a real Celery worker process on Redis and PostgreSQL.

A worker is another process: it only sees a database other processes can reach, so this
runs on PostgreSQL (DATABASE_URL) and skips on the embedded SQLite.
"""

import time

import pytest
from django.db import connection

from integrations.models import Delivery
from respondents.models import Submission
from surveys.models import QuotaCell
from tests.conftest import broker_url_for_tests, empty_own_queue, need_service
from tests.integrations.conftest import make_webhook
from tests.respondents.conftest import Respondent_, invite
from tests.stack.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker is another process")


@pytest.fixture
def broker():
    import os

    import kombu.pools
    import redis

    from fieldwork.celery import app

    url = os.environ.get("CELERY_BROKER_URL") or broker_url_for_tests()
    try:
        empty_own_queue(url)
    except redis.RedisError as exc:
        need_service("Redis", f"{url}: {exc}")
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    # Forget pooled connections, so messages go to this broker (as the pipeline tests do).
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    yield url
    app.conf.broker_url, app.conf.task_always_eager = previous
    # Forget pooled connections, so messages go to this broker (as the pipeline tests do).
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(broker):
    s = connection.settings_dict
    database = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    process = Worker(
        broker,
        "hooks",
        DATABASE_URL=database,
        WEBHOOK_RETRY_BASE_SECONDS="0.5",
        WEBHOOK_TIMEOUT_SECONDS="2",
    )
    yield process
    process.stop()


def test_a_worker_delivers_after_two_failures_waiting_between_attempts(
    kazakhstan, receiver, worker
):
    server = receiver(500, 500, 200)
    make_webhook(kazakhstan, server.url, on_valid=False, on_over_quota=True)
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=0)
    person = Respondent_(invite(kazakhstan, "pg-1", region="astana"))
    started = time.monotonic()
    person.start("ru")  # over quota at once; the delivery is enqueued on commit
    assert time.monotonic() - started < 5
    assert person.submission.status == Submission.Status.OVER_QUOTA
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Delivery.objects.get().delivered:
        time.sleep(0.2)
    delivery = Delivery.objects.get()
    assert delivery.delivered is not None, (delivery.last_error, worker.stop())
    assert delivery.attempts == 3 and len(server.requests) == 3
    times = [r["at"] for r in server.requests]
    # Backoff from the worker's base of 0.5 s: about 0.5 s, then about 1 s.
    assert times[1] - times[0] >= 0.4 and times[2] - times[1] >= 0.9
