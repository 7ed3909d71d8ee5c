"""A database connection dropped between or during requests costs no 500 when nothing can
be done twice (CONN_HEALTH_CHECKS and fieldwork/reconnect.py). PostgreSQL only: the tests
end the test's own connections with pg_terminate_backend, which SQLite has no notion of.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from surveys.models import Survey
from tests.conftest import PrivateRedis
from tests.respondents.conftest import invite

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a test ends its own connections with pg_terminate_backend")
    yield
    connection.close()  # a test that failed may leave it broken for the next one


def terminate(pid: int) -> None:
    """End backend `pid` from another connection; return once it is gone."""
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.02)
        pytest.fail(f"backend {pid} did not end")
    finally:
        killer.close()


class DropBefore:
    """An execute wrapper that drops the connection before the first statement matching
    `when(sql, connection)`, once; it records every statement it saw."""

    def __init__(self, when) -> None:
        self.when = when
        self.dropped = False
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        db = context["connection"]
        if not self.dropped and self.when(sql, db):
            self.dropped = True
            terminate(db.connection.get_backend_pid())
        self.statements.append(sql)
        return execute(sql, params, many, context)


def groups_read(sql: str, db) -> bool:
    return sql.lstrip().upper().startswith("SELECT") and "auth_group" in sql


@pytest.mark.urls("tests.fieldwork.reconnect_urls")
def test_a_read_that_meets_a_dropped_connection_is_answered_on_a_new_one():
    Group.objects.create(name="there")
    groups = Group.objects.count()
    dropper = DropBefore(groups_read)
    with connection.execute_wrapper(dropper):
        response = Client().get("/read/")
    assert dropper.dropped
    assert response.status_code == 200 and response.json() == {"groups": groups}
    assert len([s for s in dropper.statements if groups_read(s, None)]) == 2  # tried again


@pytest.mark.urls("tests.fieldwork.reconnect_urls")
def test_a_write_whose_transaction_had_not_begun_is_tried_again_and_stored_once():
    groups = Group.objects.count()
    dropper = DropBefore(lambda sql, db: db.in_atomic_block)
    with connection.execute_wrapper(dropper):
        response = Client().post("/write-in-a-transaction/", {"name": "once"})
    assert dropper.dropped
    assert response.status_code == 200 and response.json() == {"groups": groups + 1}
    assert Group.objects.filter(name="once").count() == 1


@pytest.mark.urls("tests.fieldwork.reconnect_urls")
def test_a_request_that_already_wrote_is_not_tried_again():
    dropper = DropBefore(groups_read)
    with connection.execute_wrapper(dropper):
        response = Client(raise_request_exception=False).post(
            "/write-then-read/", {"name": "stored"}
        )
    assert dropper.dropped
    assert response.status_code == 500  # trying again would have written it twice
    connection.close()  # what the end of a request does with a broken connection
    assert Group.objects.filter(name="stored").count() == 1


def test_connections_killed_between_requests_cost_no_500_on_a_real_server():
    """gunicorn with one worker keeping its connection (CONN_MAX_AGE), as deployed."""
    call_command("load_demo")
    token = invite(Survey.objects.get(slug="gt2024-kazakhstan")).token
    name = f"fw-test-{uuid.uuid4().hex[:12]}"
    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        f"?application_name={name}"
    )
    port = PrivateRedis().port  # a free loopback port
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")} | {
        "DJANGO_SETTINGS_MODULE": "fieldwork.settings",
        "DATABASE_URL": url,
        "DB_CONN_MAX_AGE": "60",
        "DEBUG": "true",
        "LOG_FORMAT": "text",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "fieldwork.wsgi",
            "--config",
            "python:fieldwork.gunicorn_config",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = f"http://127.0.0.1:{port}/s/{token}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                first = requests.get(page, timeout=10)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        assert first.status_code == 200
        codes, killed = [], 0
        for _ in range(5):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name]
                )
                pids = [row[0] for row in cursor.fetchall()]
            for pid in pids:
                terminate(pid)
                killed += 1
            codes.append(requests.get(page, timeout=10).status_code)
        assert killed >= 5  # the server's connection, each time
        assert codes == [200] * 5
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
