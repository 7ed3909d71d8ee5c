"""The fieldwork pipeline on the real stack: PostgreSQL, Redis and Celery worker processes.

These run in .ci/run's second pass. A worker is another process, so it can only see a
database that other processes can reach: on the embedded SQLite (in memory for tests)
they are skipped.
"""

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import kombu.pools
import pytest
import redis
from django.db import connection, connections

from fieldwork.celery import app as celery_app
from respondents import services
from respondents.models import QuotaSlot, Respondent, Submission, SurveyStats, Verdict
from respondents.simulation import Mix, simulate_fieldwork
from respondents.stats import recount
from respondents.tasks import sweep_pending
from respondents.tokens import new_token
from surveys.models import QuotaCell, Survey
from tests.conftest import empty_own_queue
from tests.stack.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
GOOD = Mix(speeder=0, straightliner=0, inattentive=0, duplicate=0, masher=0, ineligible=0)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: workers are other processes and cannot see SQLite's in-memory "
            "test database (.ci/run's second pass runs this)"
        )


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def project_worker(broker: str, name: str) -> Worker:
    """A worker on the test database, with unacknowledged tasks back after 5 seconds."""
    return Worker(broker, name, DATABASE_URL=database_url(), CELERY_VISIBILITY_TIMEOUT="5")


def use_broker(url: str) -> None:
    """Point this process's Celery app at `url`, failing fast when it is down."""
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.broker_url = url
    celery_app.conf.task_publish_retry = False
    celery_app.conf.broker_connection_timeout = 2
    # Forget every pooled connection, so the next message goes to the new broker.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_url):
    """The machine's Redis as broker, this run's queue emptied of earlier tests' messages."""
    previous = os.environ.get("CELERY_BROKER_URL")
    url = previous or redis_url
    empty_own_queue(url)
    use_broker(url)
    yield url
    restore_broker(previous)
    empty_own_queue(url)  # retries with a countdown outlive the test's workers


def restore_broker(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("CELERY_BROKER_URL", None)
        celery_app.conf.broker_url = "memory://localhost/"
    else:
        use_broker(previous)


def wait_until(condition, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(message)


@pytest.fixture(autouse=True)
def no_grace(settings):
    settings.VALIDATION_GRACE_SECONDS = 0  # the sweeper takes every pending submission


def counts_agree_with_slots(survey: Survey) -> None:
    """The cells' counts equal their slots, and the kept funnel equals a recount."""
    kept = SurveyStats.objects.filter(survey=survey).values().first()
    rebuilt = SurveyStats.objects.filter(pk=recount(survey).pk).values().first()
    for field in ("invited", "started", "completed", "over_quota", "valid", "invalid"):
        assert kept[field] == rebuilt[field], field
    for cell in QuotaCell.objects.filter(survey=survey):
        states = list(QuotaSlot.objects.filter(cell=cell).values_list("state", flat=True))
        assert (cell.reserved, cell.confirmed, cell.released) == (
            states.count("reserved"),
            states.count("confirmed"),
            states.count("released"),
        ), cell.name


def test_200_completions_racing_for_the_last_5_slots_take_exactly_5(kazakhstan, monkeypatch):
    monkeypatch.setattr(services, "enqueue_validation", lambda submission_id: None)
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=5)
    submissions = []
    for number in range(200):
        respondent = Respondent.objects.create(
            survey=kazakhstan,
            token=new_token(),
            panel_id=f"race-{number}",
            known={"region": "astana"},
        )
        submissions.append(
            Submission.objects.create(
                respondent=respondent,
                survey=kazakhstan,
                language="ru",
                answers={"age": 30, "gender": "male", "region": "astana"},
            )
        )
    start = threading.Barrier(60)

    def finish(submission):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=5)  # each 60 start at the same instant
            return services.submission_complete(submission).status
        finally:
            connections.close_all()

    # PostgreSQL here accepts 100 connections: 60 at once, each thread its own.
    with ThreadPoolExecutor(max_workers=60) as pool:
        statuses = list(pool.map(finish, submissions))
    assert statuses.count("completed") == 5
    assert statuses.count("over_quota") == 195
    astana = QuotaCell.objects.get(survey=kazakhstan, name="astana")
    assert (astana.reserved, astana.confirmed) == (5, 0)
    assert Submission.objects.filter(survey=kazakhstan).count() == 200  # none lost
    assert QuotaSlot.objects.filter(cell=astana).count() == 5


def test_a_worker_validates_completions_and_an_invalid_verdict_reopens_a_full_cell(
    kazakhstan, broker
):
    QuotaCell.objects.filter(survey=kazakhstan).update(target=1)
    # Fieldwork first, the worker after: each cell is full with one reserved complete,
    # and nothing can take a reopened slot before the test looks.
    outcome = simulate_fieldwork(
        kazakhstan,
        25,
        seed=7,
        mix=Mix(inattentive=0.5, speeder=0, straightliner=0, duplicate=0, masher=0, ineligible=0),
    )
    assert outcome.statuses["completed"] > 0
    full = {c.pk for c in QuotaCell.objects.filter(survey=kazakhstan) if c.is_full}
    worker = project_worker(broker, "validator")
    try:
        wait_until(
            lambda: (
                not Submission.objects.filter(verdict=Verdict.PENDING, status="completed").exists()
            ),
            60,
            "the worker did not validate every completion",
        )
    finally:
        worker.stop()
    invalid = Submission.objects.filter(survey=kazakhstan, verdict=Verdict.INVALID)
    assert invalid.exists()
    for submission in invalid:
        cell = submission.slots.get().cell
        assert cell.pk in full
        cell.refresh_from_db()
        assert not cell.is_full
        assert (cell.reserved, cell.confirmed, cell.released) == (0, 0, 1)
    counts_agree_with_slots(kazakhstan)


def test_a_worker_killed_mid_validation_leaves_every_submission_validated_once(kazakhstan, broker):
    outcome = simulate_fieldwork(kazakhstan, 60, seed=11, mix=GOOD)
    completed = outcome.statuses["completed"]
    assert (
        Submission.objects.filter(verdict=Verdict.PENDING, status="completed").count() == completed
    )
    # A worker validates a few hundred submissions a second, faster than a test can
    # watch: hold the sixth one's row, so the worker is caught inside that validation
    # (its transaction begun, the verdicts before it committed, the rest still queued).
    held = Submission.objects.filter(status="completed").order_by("ended").values_list("pk")[5][0]
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT 1 FROM respondents_submission WHERE id = %s FOR UPDATE", [held])
    try:
        first = project_worker(broker, "doomed")
        wait_until(
            another_session_waits_for_a_lock,
            60,
            "the first worker never reached the held submission",
        )
        first.stop(signal.SIGKILL)
    finally:
        holder.rollback()
        holder.close()
    assert Submission.objects.get(pk=held).verdict == Verdict.PENDING
    assert Submission.objects.filter(verdict=Verdict.PENDING, status="completed").exists()
    second = project_worker(broker, "survivor")
    try:
        sweep_pending()  # what Celery beat runs every minute
        wait_until(
            lambda: (
                not Submission.objects.filter(verdict=Verdict.PENDING, status="completed").exists()
            ),
            90,
            "submissions were left unvalidated after the worker died",
        )
        time.sleep(6)  # let the dead worker's unacknowledged message come back and run
        assert Submission.objects.filter(status="completed").count() == completed
        counts_agree_with_slots(kazakhstan)
        slots = QuotaSlot.objects.filter(submission__survey=kazakhstan)
        assert slots.count() == completed
        assert slots.filter(state="reserved").count() == 0
    finally:
        second.stop()


def another_session_waits_for_a_lock() -> bool:
    """Whether another session of the test database waits for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: _pings(port), 10, "the private Redis did not start")
    return process


def _pings(port: int) -> bool:
    try:
        return redis.Redis(port=port, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def test_redis_down_during_completion_loses_nothing_and_the_sweeper_catches_up(
    kazakhstan, redis_url
):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    private = start_redis(port)
    previous = os.environ.get("CELERY_BROKER_URL")
    use_broker(url)
    worker = None
    try:
        private.terminate()
        private.wait(timeout=10)
        outcome = simulate_fieldwork(kazakhstan, 12, seed=5, mix=GOOD)
        completed = outcome.statuses["completed"]
        assert completed > 0
        assert (
            Submission.objects.filter(verdict=Verdict.PENDING, status="completed").count()
            == completed
        )

        private = start_redis(port)
        use_broker(url)
        worker = project_worker(url, "after-outage")
        sweep_pending()  # what Celery beat runs every minute
        try:
            wait_until(
                lambda: (
                    not Submission.objects.filter(
                        verdict=Verdict.PENDING, status="completed"
                    ).exists()
                ),
                60,
                "the sweeper's messages were not validated after Redis came back",
            )
        except pytest.fail.Exception:
            print(worker.stop())
            raise
        counts_agree_with_slots(kazakhstan)
    finally:
        if worker:
            worker.stop()
        private.terminate()
        private.wait(timeout=10)
        restore_broker(previous)
