"""A Redis outage does not stop fieldwork: a Redis of the test's own is stopped while people
answer, managers look at the dashboard and users log in, then started again.

The web side runs in this process (Django's test client), with its cache and its broker
on that Redis; validation after the outage is what a worker does with the sweeper's
message, run here, so this runs on SQLite as well as PostgreSQL.
"""

import os
import time
from types import SimpleNamespace

import django_ratelimit.core
import kombu
import pytest
from django.contrib.auth.models import User
from django.test import Client

import fieldwork.cache
from fieldwork.celery import app as celery_app
from respondents.models import Submission, Verdict
from respondents.tasks import sweep_pending
from tests.respondents.conftest import Respondent_, invite
from tests.stack.test_fieldwork_pipeline import restore_broker, use_broker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_for_all(private_redis, settings, monkeypatch):
    """This process's cache and broker on the test's own Redis, as in production."""
    # Read before the settings change: Celery reads its configuration lazily from them.
    previous = os.environ.get("CELERY_BROKER_URL")
    eager = celery_app.conf.task_always_eager
    settings.CACHES = {
        "default": {
            "BACKEND": "fieldwork.cache.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Tasks go to the broker, and /health/ asks it.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = private_redis.url
    settings.VALIDATION_GRACE_SECONDS = 0  # the sweeper takes every pending submission
    # Try Redis again at every operation: the test cannot wait RETRY_SECONDS.
    monkeypatch.setattr(fieldwork.cache, "RETRY_SECONDS", 0)
    # One rate-limit window for the whole test (see tests/fieldwork/conftest.py).
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
    celery_app.conf.task_always_eager = False
    use_broker(private_redis.url)
    try:
        yield private_redis
    finally:
        celery_app.conf.task_always_eager = eager
        restore_broker(previous)
        fieldwork.cache._down_until.clear()


def run_queued_tasks(url: str) -> int:
    """Do what a worker does with the messages waiting at `url`: run each task, here."""
    ran = 0
    with kombu.Connection(url) as connection:
        queue = connection.SimpleQueue(celery_app.conf.task_default_queue)
        try:
            while True:
                try:
                    message = queue.get(timeout=1)
                except queue.Empty:
                    return ran
                args, kwargs, _embed = message.decode()
                celery_app.tasks[message.headers["task"]].apply(args=args, kwargs=kwargs).get()
                message.ack()
                ran += 1
        finally:
            queue.close()


def walk(person: Respondent_, response, **answers):
    """Answer page after page from `response`; return every response and the last."""
    seen = [response]
    for _ in range(30):
        page = person.current_page(response)
        if page is None:
            return seen, response
        response = person.answer(page, **answers)
        seen.append(response)
    raise AssertionError("the questionnaire did not end")


def test_a_respondent_answers_and_completes_while_redis_is_down(kazakhstan, redis_for_all, caplog):
    person = Respondent_(invite(kazakhstan, region="almaty_city"))
    first = person.start("ru")
    assert first.status_code == 200 and person.current_page(first)

    redis_for_all.stop()
    seen, end = walk(person, first, age=34, china_model="1")
    assert len(seen) > 3
    for response in seen:
        assert response.status_code == 200
        assert all(status == 302 for _url, status in response.redirect_chain)
    assert "Спасибо!" in end.content.decode()
    submission = person.submission
    assert submission.status == Submission.Status.COMPLETED
    assert submission.answers["age"] == 34
    assert submission.verdict == Verdict.PENDING  # the broker was down: nothing enqueued
    assert "Redis cache unreachable" in caplog.text

    health = Client().get("/health/")
    assert health.status_code == 503
    checks = health.json()["checks"]
    assert checks["database"]["ok"]
    assert (checks["cache"]["ok"], checks["cache"]["detail"]) == (False, "ConnectionError")
    assert checks["broker"]["ok"] is False

    redis_for_all.start()
    assert Client().get("/health/").status_code == 200
    assert sweep_pending() == 1  # what Celery beat runs every minute
    assert run_queued_tasks(redis_for_all.url) == 1
    submission.refresh_from_db()
    # Judged by the rules (this test's fast walk makes a speeder, which does not matter).
    assert submission.verdict != Verdict.PENDING
    assert "speeder" in submission.qc_results


def test_the_dashboard_answers_while_redis_is_down(kazakhstan, redis_for_all):
    User.objects.create_superuser("boss", password="right-password-1")
    manager = Client()
    assert (
        manager.post(
            "/accounts/login/", {"username": "boss", "password": "right-password-1"}
        ).status_code
        == 302
    )
    finished = Respondent_(invite(kazakhstan, "done", region="astana"))
    finished.finish("ru", age=40, china_model="1")

    redis_for_all.stop()
    index = manager.get("/manage/")
    assert index.status_code == 200 and kazakhstan.slug in index.content.decode()
    page = manager.get(f"/manage/{kazakhstan.slug}/")
    assert page.status_code == 200
    live = manager.get(f"/manage/{kazakhstan.slug}/live/")
    assert live.status_code == 200
    assert "astana" in live.content.decode()
    # The cached median is derived from the database again, at every refresh.
    assert manager.get(f"/manage/{kazakhstan.slug}/live/").status_code == 200


def test_logins_work_and_are_still_limited_while_redis_is_down(db, redis_for_all, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_ip": "3/m"}
    User.objects.create_user("ana", password="right-password-1")
    redis_for_all.stop()

    owner = Client(REMOTE_ADDR="203.0.113.9")
    ok = owner.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert ok.status_code == 302 and "_auth_user_id" in owner.session

    # The address limit counts in this process while Redis is out (it fails open, but
    # not uncounted).
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    codes = [
        guesser.post("/accounts/login/", {"username": "bob", "password": f"x{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]

    # The lock-out lives in the database: five wrong passwords lock that pair.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_ip": "100/m"}
    attacker = Client(REMOTE_ADDR="198.51.100.8")
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = attacker.post("/accounts/login/", {"username": "ana", "password": f"no-{i}"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert (
        other.post(
            "/accounts/login/", {"username": "ana", "password": "right-password-1"}
        ).status_code
        == 302
    )
