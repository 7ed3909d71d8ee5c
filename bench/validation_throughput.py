"""Validation throughput of a real Celery worker, as a ratio against a no-op task.

Both run on the same worker, the same Redis broker and result backend, in the same run:
the ratio says how much of a worker's time quality control itself costs. By default the
worker is one process (solo pool), which measures the cost per process; `--concurrency 2`
runs it as the Procfile deploys it (prefork, two processes on this 2-core machine), where
one process validates while the other waits for PostgreSQL. Target: validation at least
0.5 of the no-op rate.

    .venv/bin/python bench/validation_throughput.py [--submissions 400] [--rounds 3]
        [--concurrency 2]

Needs the machine's PostgreSQL and Redis; uses the database fieldwork_bench (created and
migrated here) and Redis databases 11, 12 and 15, which it empties.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "postgres://postgres@127.0.0.1:5432/fieldwork_bench"
BROKER = "redis://127.0.0.1:6379/12"
RESULTS = "redis://127.0.0.1:6379/11"
CACHE = "redis://127.0.0.1:6379/15"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="worker processes (prefork pool, as the Procfile runs it); 0: one solo process",
    )
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=DATABASE,
        CELERY_BROKER_URL=BROKER,
        CELERY_RESULT_BACKEND=RESULTS,
        # The shared cache as deployed (REDIS_URL): what a worker reads from the cache
        # costs a round trip to Redis, as in production, not a dict lookup.
        REDIS_URL=CACHE,
        DJANGO_SETTINGS_MODULE="fieldwork.settings",
        # A worker as deployed: DEBUG off (Django then keeps no log of every query).
        DEBUG="false",
        SECRET_KEY="bench-" + secrets.token_urlsafe(48),
    )
    sys.path.insert(0, str(ROOT))
    _create_database()
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from bench.worker_app import noop
    from respondents.models import Submission
    from respondents.simulation import Mix, simulate_fieldwork
    from respondents.tasks import validate_submission
    from surveys.models import Survey

    for url in (BROKER, RESULTS, CACHE):
        redis.Redis.from_url(url).flushdb()
    call_command("migrate", verbosity=0)
    call_command("load_demo", reset=True, verbosity=0)
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    print(f"simulating {args.submissions} respondents ...", flush=True)
    simulate_fieldwork(survey, args.submissions, seed=42, mix=Mix(ineligible=0))
    redis.Redis.from_url(BROKER).flushdb()  # drop the validations the completions queued
    ids = list(
        Submission.objects.filter(survey=survey, status="completed").values_list("pk", flat=True)
    )

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bench.worker_app",
            "worker",
            *(
                ["--pool=solo"]
                if not args.concurrency
                else ["--pool=prefork", f"--concurrency={args.concurrency}"]
            ),
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    ratios = []
    try:
        noop.delay(0).get(timeout=60)  # the worker is up and warm
        # Rounds alternate the two kinds of task, so a busy moment of the machine falls on
        # both; between rounds every verdict goes back to pending, as the workers found it.
        for round_ in range(1, args.rounds + 1):
            _pending_again(survey)
            baseline = _rate(lambda i: noop.delay(i), range(len(ids)))
            validation = _rate(lambda i: validate_submission.delay(i), ids)
            verdicts = Submission.objects.filter(pk__in=ids).exclude(verdict="pending").count()
            ratios.append(validation / baseline)
            print(
                f"round {round_}: no-op {baseline:7.1f} tasks/s, validate_submission "
                f"{validation:7.1f} tasks/s ({verdicts} of {len(ids)} judged), "
                f"ratio {ratios[-1]:.2f}",
                flush=True,
            )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(f"median ratio (validation / no-op): {statistics.median(ratios):.2f}   target >= 0.5")


def _pending_again(survey) -> None:
    """Put every completed submission back to awaiting validation, with its counts."""
    from django.db.models import Count, Q

    from respondents.models import QuotaSlot, Submission
    from respondents.stats import recount
    from surveys.models import QuotaCell

    completed = Submission.objects.filter(survey=survey, status="completed")
    completed.update(verdict="pending", qc_verdict="", qc_results={}, validated=None)
    QuotaSlot.objects.filter(submission__survey=survey).update(state="reserved")
    for cell in QuotaCell.objects.filter(survey=survey).annotate(
        held=Count("slots", filter=Q(slots__state="reserved"))
    ):
        QuotaCell.objects.filter(pk=cell.pk).update(reserved=cell.held, confirmed=0, released=0)
    survey.status = "live"
    survey.save(update_fields=["status"])
    recount(survey)


def _rate(send, items) -> float:
    items = list(items)
    start = time.perf_counter()
    results = [send(item) for item in items]
    for result in results:
        result.get(timeout=300)
    return len(items) / (time.perf_counter() - start)


def _create_database() -> None:
    import psycopg2

    connection = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = 'fieldwork_bench'")
        if cursor.fetchone() is None:
            cursor.execute("CREATE DATABASE fieldwork_bench")
    connection.close()


if __name__ == "__main__":
    main()
