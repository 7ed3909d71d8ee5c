"""Fixtures for the real services: Redis and a Celery worker process.

The services are the machine's own (see .ci/run). A test that needs one skips with the
reason when it is missing, and fails instead when the CI variable is set.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import Celery

from tests.conftest import RUN_NAME, need_service, redis_url_for_tests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL") or redis_url_for_tests()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        need_service("Redis", f"{url}: {exc}")
    return url


@pytest.fixture(scope="session")
def broker_url(redis_url):
    return os.environ.get("CELERY_BROKER_URL") or redis_url


class Worker:
    """A Celery worker process of the project on `broker` (and a database, if given)."""

    def __init__(self, broker: str, name: str, **env: str) -> None:
        self.hostname = f"{name}-{os.getpid()}@localhost"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "fieldwork",
                "worker",
                "--pool=solo",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "-n",
                self.hostname,
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "fieldwork.settings",
                "CELERY_BROKER_URL": broker,
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self, sig=signal.SIGTERM) -> str:
        """Stop the worker; return what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read()


@pytest.fixture
def celery_worker_process(broker_url):
    """Run a real Celery worker of the project against the broker; yield a client app.

    It only answers control messages: it takes tasks from a queue of its own, which no test
    sends to, so a task another test left on the run's queue (a retry with a countdown) is
    never run by it against a database it was not given.
    """
    worker = Worker(broker_url, "test", CELERY_TASK_DEFAULT_QUEUE=f"{RUN_NAME}-control")
    client = Celery(broker=broker_url)
    try:
        # Generous: on a loaded two-core machine a worker once took over a minute to answer.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if worker.process.poll() is not None:
                pytest.fail(f"the Celery worker exited at start:\n{worker.stop()}")
            if client.control.ping(destination=[worker.hostname], timeout=1.0):
                break
        else:
            output = worker.stop()
            pytest.fail(f"the Celery worker did not answer within 120 seconds:\n{output}")
        yield client, worker.hostname
    finally:
        worker.stop()
        client.close()
