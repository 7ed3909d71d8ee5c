"""The project's Redis cache backend behaves as Django's, in fewer round trips, and stands
in for Redis with the process's memory while Redis is out."""

import logging
import os
import uuid

import pytest
import redis

import fieldwork.cache
from fieldwork.cache import RedisCache


@pytest.fixture
def redis_cache():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip(
            "REDIS_URL is not set: the suite runs on the memory cache (CI's second pass sets it)"
        )
    cache = RedisCache(url, {"KEY_PREFIX": f"fieldwork-test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["hits", "never-set"])  # only this test's keys


def test_incr_counts_up_an_existing_key_and_keeps_its_expiry(redis_cache):
    assert redis_cache.add("hits", 0, timeout=60)
    assert redis_cache.incr("hits") == 1
    assert redis_cache.incr("hits", 5) == 6
    assert redis_cache.get("hits") == 6
    key = redis_cache.make_and_validate_key("hits")
    assert 0 < redis_cache._cache.get_client().ttl(key) <= 60


def test_incr_of_a_missing_key_is_a_value_error_and_creates_nothing(redis_cache):
    with pytest.raises(ValueError):
        redis_cache.incr("never-set")
    assert redis_cache.get("never-set") is None


def test_incr_works_again_after_redis_forgot_its_scripts(private_redis):
    # SCRIPT FLUSH empties a whole server's scripts: only on a Redis of this test's own.
    cache = RedisCache(private_redis.url, {})
    cache.set("hits", 1, timeout=60)
    assert cache.incr("hits") == 2
    cache._cache.get_client(write=True).script_flush()
    assert cache.incr("hits") == 3


def test_count_up_counts_several_counters_and_gives_new_ones_their_expiry(redis_cache):
    assert redis_cache.count_up({"a": 60, "b": 30}) == {"a": 1, "b": 1}
    assert redis_cache.count_up({"a": 60, "b": 30}) == {"a": 2, "b": 2}
    client = redis_cache._cache.get_client()
    assert 0 < client.ttl(redis_cache.make_and_validate_key("b")) <= 30
    # The same stored value as add() and incr() write: one counter, whichever counts.
    assert redis_cache.incr("a") == 3
    redis_cache.delete_many(["a", "b"])


@pytest.mark.django_db
def test_both_respondent_limits_count_in_django_ratelimits_own_counters(settings, one_rate_window):
    from django.core.cache import cache
    from django.test import RequestFactory
    from django.urls import resolve
    from django_ratelimit.core import get_usage

    from fieldwork.ratelimits import RESPONDENT_LIMITS, respondent_limited

    if not hasattr(cache, "count_up"):
        pytest.skip("the cache is not Redis: django-ratelimit's decorators count")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "respondent_link": "3/m"}
    path = f"/s/{'t' * 43}/"
    request = RequestFactory().get(path, REMOTE_ADDR="192.0.2.77")
    request.resolver_match = resolve(path)
    view = respondent_limited(lambda request, token: "answered")
    assert [view(request, token="t" * 43) for _ in range(3)] == ["answered"] * 3
    for group, key, name in RESPONDENT_LIMITS:
        usage = get_usage(request, group=group, key=key, rate=settings.RATE_LIMITS[name])
        assert usage["count"] == 3  # what django-ratelimit itself reads for this request
    from django_ratelimit.exceptions import Ratelimited

    with pytest.raises(Ratelimited):
        view(request, token="t" * 43)
    assert request.limited


# While Redis is out: the backend stands in with the process's memory (fieldwork.cache).


@pytest.fixture
def outage_cache(private_redis, monkeypatch):
    """The project's Redis cache on a Redis of the test's own, with a clock to move."""
    clock = {"now": 1000.0}
    monkeypatch.setattr(fieldwork.cache.time, "monotonic", lambda: clock["now"])
    cache = RedisCache(private_redis.url, {"OPTIONS": {"socket_connect_timeout": 1}})
    cache.clock = clock
    yield cache
    fieldwork.cache._down_until.pop(cache._location, None)
    cache._fallback.clear()


def test_an_unreachable_redis_is_a_miss_and_writes_stay_in_the_process(
    outage_cache, private_redis, caplog
):
    outage_cache.set("questionnaire", "from redis")
    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="fieldwork.cache"):
        assert outage_cache.get("questionnaire") is None  # derived again by the caller
        outage_cache.set("questionnaire", "derived here")
        assert outage_cache.get("questionnaire") == "derived here"
        assert outage_cache.add("other", 1) and outage_cache.incr("other") == 2
        outage_cache.delete_many(["other"])
        outage_cache.clear()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per outage, not once per operation
    assert "Redis cache unreachable" in warnings[0].getMessage()


def test_count_up_counts_in_the_process_while_redis_is_out(outage_cache, private_redis):
    assert outage_cache.count_up({"ip": 60, "link": 60}) == {"ip": 1, "link": 1}
    private_redis.stop()
    assert outage_cache.count_up({"ip": 60, "link": 60}) == {"ip": 1, "link": 1}
    assert outage_cache.count_up({"ip": 60}) == {"ip": 2}


def test_redis_is_left_alone_for_a_while_then_used_again(outage_cache, private_redis, caplog):
    outage_cache.set("kept", "in redis")
    private_redis.stop()
    assert outage_cache.get("kept") is None
    outage_cache.set("kept", "in memory")
    private_redis.start()  # empty: the test's Redis saves nothing
    outage_cache.set("kept", "in redis again")  # Redis is not tried yet: memory
    assert outage_cache.get("kept") == "in redis again"
    outage_cache.clock["now"] += fieldwork.cache.RETRY_SECONDS
    with caplog.at_level(logging.WARNING, logger="fieldwork.cache"):
        assert outage_cache.get("kept") is None  # Redis again, which never had it
    assert "answers again" in caplog.text
    outage_cache.set("kept", "shared")
    assert outage_cache.get("kept") == "shared"
    assert outage_cache._fallback.get("kept") is None  # the stand-in was emptied


def test_the_probe_asks_redis_itself(outage_cache, private_redis):
    outage_cache.probe()
    private_redis.stop()
    with pytest.raises(redis.exceptions.ConnectionError):
        outage_cache.probe()
    outage_cache.set("works", "anyway")  # while the probe says what is down
    assert outage_cache.get("works") == "anyway"
