"""Fixtures for the real services: Redis and a Celery worker process.

The services are the machine's own (see .ci/run). A test that needs one skips with the
reason when it is missing, and fails instead when the CI variable is set.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import Celery

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        need_service("Redis", f"{url}: {exc}")
    return url


@pytest.fixture(scope="session")
def broker_url(redis_url):
    return os.environ.get("CELERY_BROKER_URL") or redis_url


@pytest.fixture(scope="session")
def celery_worker_process(broker_url):
    """Run a real Celery worker of the project against the broker; yield a client app."""
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_SETTINGS_MODULE": "fieldwork.settings",
    }
    hostname = f"test-{os.getpid()}@localhost"
    worker = subprocess.Popen(
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
            hostname,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = Celery(broker=broker_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                pytest.fail(f"the Celery worker exited at start:\n{worker.stdout.read()}")
            if client.control.ping(destination=[hostname], timeout=1.0):
                break
        else:
            pytest.fail("the Celery worker did not answer within 60 seconds")
        yield client, hostname
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        client.close()
