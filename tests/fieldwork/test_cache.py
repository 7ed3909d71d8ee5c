"""The project's Redis cache backend behaves as Django's, in fewer round trips."""

import os
import uuid

import pytest

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


def test_incr_works_again_after_redis_forgot_its_scripts(redis_cache):
    redis_cache.set("hits", 1, timeout=60)
    assert redis_cache.incr("hits") == 2
    redis_cache._cache.get_client(write=True).script_flush()
    assert redis_cache.incr("hits") == 3
