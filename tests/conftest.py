import csv
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

# This run's own names on whatever Redis the settings point at: its cache keys carry this
# prefix and its tasks go to a queue of this name, so the suite empties only what it wrote,
# never a Redis database that a developer's machine may be using. The worker processes the
# tests start inherit both through the environment.
RUN_NAME = f"fieldwork-test-{uuid.uuid4().hex[:12]}"
os.environ["CACHE_KEY_PREFIX"] = RUN_NAME
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = RUN_NAME
# pytest-django read the settings before this module: give them the run's names too,
# before anything has opened the cache or sent a task.
settings.CACHES["default"]["KEY_PREFIX"] = RUN_NAME
settings.CELERY_TASK_DEFAULT_QUEUE = RUN_NAME

# Real XLSForms written by others (pyxform test data, BSD 2-clause; see its README).
SHARED_FORMS = Path(__file__).resolve().parent / "data" / "xlsforms"


def need_service(name: str, reason: str) -> None:
    """Skip a test whose service is missing, except in CI where it must be there."""
    message = f"{name} is not available: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so the service is required)")
    pytest.skip(message)


def redis_url_for_tests() -> str:
    """The Redis database the tests may empty when REDIS_URL is unset (TEST_REDIS_URL)."""
    return os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


def broker_url_for_tests() -> str:
    """A second Redis database, a broker no session-wide worker listens on (TEST_BROKER_URL)."""
    return os.environ.get("TEST_BROKER_URL") or "redis://127.0.0.1:6379/5"


class PrivateRedis:
    """A redis-server of the test's own, on a free loopback port, to stop and start again.

    Nothing is saved to disk; the machine's Redis is never touched.
    """

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                pytest.fail(f"the private Redis on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False


@pytest.fixture
def private_redis():
    """A Redis of this test's own (redis-server must be installed), stopped at the end."""
    if shutil.which("redis-server") is None:
        need_service("redis-server", "not installed (apt-get install redis-server)")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def table_counts() -> dict[str, list[dict]]:
    """Return every row of every model of the project's apps, to compare before and after."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in ("surveys", "respondents", "reports", "audit")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def make_form(tmp_path):
    """Write an XLSForm in pyxform's CSV layout and return its path.

    `survey` and `choices` are lists of dicts (one per row); `settings` one dict.
    """

    def write(survey, choices=(), settings=None, name="form.csv"):
        sheets = {"survey": list(survey), "choices": list(choices)}
        if settings:
            sheets["settings"] = [settings]
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for sheet, rows in sheets.items():
                if not rows:
                    continue
                header = list(dict.fromkeys(key for row in rows for key in row))
                writer.writerow([sheet])
                writer.writerow(["", *header])
                for row in rows:
                    writer.writerow(["", *(row.get(key, "") for key in header)])
        return path

    return write


def empty_own_cache() -> None:
    """Delete this run's cache entries: on Redis only the keys under the run's prefix."""
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(cache, RedisCache):
        cache.clear()  # a memory cache of this process only
        return
    if cache.key_prefix != RUN_NAME:
        pytest.fail(f"the cache's keys are not prefixed with this run's name ({RUN_NAME})")
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{RUN_NAME}:*", count=1000))
    if keys:
        client.delete(*keys)


def empty_own_queue(broker_url: str) -> None:
    """Delete the messages waiting in this run's task queue on a Redis broker, nothing else."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=2)
    keys = list(client.scan_iter(match=f"{RUN_NAME}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches and memos: ids are reused after a rollback."""
    from fieldwork import memo

    empty_own_cache()
    memo.clear_all()
    yield
    empty_own_cache()
    memo.clear_all()


# The two demo questionnaires as `make run` loads them, and nothing collected: the one
# `demo` and `kazakhstan` of the suite. A test that needs more (fieldwork, a schedule)
# says so in a fixture of its own name.
@pytest.fixture
def demo(db):
    from django.core.management import call_command

    from surveys.models import Survey

    call_command("load_demo", verbosity=0)
    return {survey.slug: survey for survey in Survey.objects.all()}


@pytest.fixture
def kazakhstan(demo):
    return demo["gt2024-kazakhstan"]


@pytest.fixture
def china(demo):
    return demo["gt2024-china"]


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in process, as the embedded default does, on any broker setting."""
    from fieldwork.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


def pytest_terminal_summary(terminalreporter) -> None:
    """Say which fast paths and real services this run exercised, and which it could not.

    The embedded defaults (SQLite, memory cache, tasks in process) skip the paths that
    only exist on the real stack; .ci/run's second pass runs them.
    """
    from django.db import connection

    on_postgresql = connection.vendor == "postgresql"
    redis_cache = bool(settings.REDIS_URL)
    broker = not settings.CELERY_TASK_ALWAYS_EAGER
    paths = [
        (
            "a verdict's writes in one round trip (ADR 0017)",
            on_postgresql,
            "SQLite runs them one by one",
        ),
        (
            "page-shown time committed asynchronously, row locks (ADR 0014)",
            on_postgresql,
            "SQLite has neither",
        ),
        (
            "shared Redis cache: questionnaires, rate limits in one round trip",
            redis_cache,
            "REDIS_URL unset: a memory cache per process",
        ),
        (
            "tasks through a real broker to worker processes",
            broker and on_postgresql,
            "tasks run in process; workers need PostgreSQL",
        ),
    ]
    terminalreporter.write_sep("-", "fast paths and real services")
    for name, ran, why_not in paths:
        terminalreporter.write_line(f"{'ran    ' if ran else 'skipped'}  {name}")
        if not ran:
            terminalreporter.write_line(f"         ({why_not})")


def go_live(survey):
    """Take a test's survey live, giving it first what the pre-flight check asks of a
    design that the test does not care about: fieldwork dates around today, and a
    sample target equal to its hard cells' targets (or 1,000 without cells)."""
    import datetime

    from surveys.models import Survey
    from surveys.services import survey_set_status

    today = datetime.date.today()
    hard = [cell.target for cell in survey.quota_cells.filter(is_hard=True)]
    Survey.objects.filter(pk=survey.pk).update(
        fieldwork_start=survey.fieldwork_start or today - datetime.timedelta(days=7),
        fieldwork_end=survey.fieldwork_end or today + datetime.timedelta(days=7),
        sample_target=sum(hard) if hard else (survey.sample_target or 1000),
    )
    survey.refresh_from_db()
    return survey_set_status(survey, Survey.Status.LIVE)
