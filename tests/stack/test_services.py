import pytest
from django.db import connection

from fieldwork.cache import RedisCache

pytestmark = pytest.mark.integration


def test_the_cache_shared_by_web_processes_round_trips_through_redis(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": "fieldwork-test"})
    cache.set("answer", {"kk": "Иә", "ru": "Да"}, timeout=30)
    assert cache.get("answer") == {"kk": "Иә", "ru": "Да"}
    cache.delete("answer")
    assert cache.get("answer") is None
    # One Redis client per connection pool, not a new one per operation.
    assert cache._cache.get_client(write=True) is cache._cache.get_client()


def test_a_worker_of_the_project_starts_and_answers_on_the_broker(celery_worker_process):
    client, hostname = celery_worker_process
    replies = client.control.ping(destination=[hostname], timeout=5.0)
    assert replies == [{hostname: {"ok": "pong"}}]
    registered = client.control.inspect(destination=[hostname], timeout=5.0).registered()
    assert hostname in registered


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_the_environment_names():
    import os

    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
    assert connection.vendor == expected
