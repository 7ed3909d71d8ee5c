"""Idempotency under concurrent replays, on PostgreSQL: the unique constraint decides."""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from rest_framework.test import APIClient

from api.models import IngestionKey
from api.tokens import token_create
from respondents.models import QuotaSlot, Submission
from tests.api.conftest import GOOD

pytestmark = pytest.mark.django_db(transaction=True)
REPLAYS = 20


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises every write, so nothing would race "
            "(.ci/run's second pass runs this)"
        )


def replay_at_once(key: str, bodies: list[dict], token: str) -> list[tuple[int, dict]]:
    """POST each body from its own thread (its own connection), all released together."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def send(body):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait(timeout=30)
            response = client.post(
                "/api/v1/surveys/field/submissions/",
                body,
                format="json",
                HTTP_IDEMPOTENCY_KEY=key,
            )
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == len(bodies), "a replay did not finish"
    return results


def test_twenty_concurrent_replays_store_one_submission(roles):
    _, token = token_create(User.objects.get(username="manager"))
    body = {"language": "en", "answers": GOOD, "panel_id": "tablet-3-17"}
    results = replay_at_once("tablet-3/17", [body] * REPLAYS, token)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (REPLAYS - 1) + [201], [r for r in results if r[0] >= 300]
    assert len({answer["id"] for _, answer in results}) == 1
    assert Submission.objects.count() == 1
    assert IngestionKey.objects.count() == 1
    assert QuotaSlot.objects.count() == 1


def test_concurrent_replays_with_two_contents_store_one_and_refuse_the_other(roles):
    _, token = token_create(User.objects.get(username="manager"))
    first = {"language": "en", "answers": GOOD}
    second = {"language": "en", "answers": {**GOOD, "age": 35}}
    results = replay_at_once("tablet-4/1", [first, second] * (REPLAYS // 2), token)
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 1
    winner = next(answer for status, answer in results if status == 201)
    same = sum(1 for s, a in results if s == 200 and a["answers"] == winner["answers"])
    assert same == REPLAYS // 2 - 1
    assert statuses.count(409) == REPLAYS // 2
    assert Submission.objects.count() == 1
