"""Django's Redis cache, without building a new Redis client for every operation, and
standing in for Redis while it cannot be reached.

Django's `RedisCacheClient.get_client` wraps its (kept) connection pool in a new
`redis.Redis` object on every call, and building one costs about as much as the round
trip to Redis itself (~0.1 ms: it sets up retry, response callbacks and a lock). The
rate limits use the cache on every respondent request, so this backend keeps one client
per connection pool, as redis-py intends: a client is thread-safe and borrows a
connection from its pool per command. `incr` runs as one script instead of two
commands.

While Redis cannot be reached (stopped, restarting, loading its data, a network that drops
packets), every operation goes to this process's own memory instead, as if REDIS_URL were
unset: a read misses and the caller derives the value from the database, rate-limit
counters count per process, and nothing raises. The first failure logs a warning; Redis is
then left alone for RETRY_SECONDS (so a host that does not answer costs one connect
timeout per process every few seconds, not one per operation), tried again, and once it
answers the stand-in memory is emptied. `probe` always asks Redis itself, for /health/.
See docs/decisions/0018-a-cache-that-stands-in-for-redis.md.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import redis
from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.locmem import LocMemCache

logger = logging.getLogger(__name__)

# What an unreachable Redis raises, as opposed to a mistake in a command (which still
# raises: it is a bug, not an outage).
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# How long a process leaves Redis alone after it failed, before trying it again.
RETRY_SECONDS = 5.0
# Entries the stand-in memory keeps (least recently used go first): counters of the
# respondents of a few minutes, and the few questionnaires being answered.
FALLBACK_MAX_ENTRIES = 10_000

# Per process, by the cache's location: until when Redis is left alone. Shared by every
# thread's backend object (Django builds one per thread).
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()

# INCRBY only on a key that exists, in one round trip: what Django's `incr` does with
# EXISTS then INCRBY (two round trips, and a key expiring between them came back as a
# counter without expiry).
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


# Add one to each counter, giving a counter just created its expiry (ARGV, in seconds):
# django-ratelimit's `add` then `incr`, for several counters in one round trip.
_COUNT_UP = """
local counts = {}
for i, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 then
        redis.call('EXPIRE', key, ARGV[i])
    end
    counts[i] = count
end
return counts
"""


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        self._clients_lock = threading.Lock()
        self._incr_existing = None
        self._count_up = None

    def incr(self, key, delta):
        """Django's `incr` (ValueError for a missing key), in one round trip.

        Every respondent request counts against two rate limits (django-ratelimit: `add`,
        then `incr`), so this saves two round trips a page.
        """
        client = self.get_client(key, write=True)
        if self._incr_existing is None:
            # A script object sends EVALSHA, and the script itself if Redis lost it.
            self._incr_existing = client.register_script(_INCR_EXISTING)
        value = self._incr_existing(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # Pools live as long as this object (Django keeps them), so their ids stay theirs.
        client = self._clients.get(id(pool))
        if client is None:
            with self._clients_lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def count_up(self, keys: list[str], timeouts: list[int]) -> list[int]:
        client = self.get_client(keys[0] if keys else None, write=True)
        if self._count_up is None:
            self._count_up = client.register_script(_COUNT_UP)
        return [int(count) for count in self._count_up(keys=keys, args=timeouts, client=client)]


def _standing_in(name: str):
    """Django's `name` operation on Redis, or on the process's memory while Redis is out."""
    on_redis = getattr(django_redis.RedisCache, name)

    def operation(self, *args, **kwargs):
        if self._redis_worth_trying():
            try:
                result = on_redis(self, *args, **kwargs)
            except UNREACHABLE as exc:
                self._went_away(exc)
            else:
                self._answered()
                return result
        return getattr(self._fallback, name)(*args, **kwargs)

    operation.__name__ = name
    operation.__doc__ = on_redis.__doc__
    return operation


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._location = server if isinstance(server, str) else ",".join(server)
        # LocMemCache keeps its entries per name, process-wide: every thread's backend
        # object for this location shares one stand-in.
        self._fallback = LocMemCache(
            f"fieldwork.cache.fallback:{self._location}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
            },
        )

    add = _standing_in("add")
    get = _standing_in("get")
    set = _standing_in("set")
    touch = _standing_in("touch")
    delete = _standing_in("delete")
    get_many = _standing_in("get_many")
    has_key = _standing_in("has_key")
    incr = _standing_in("incr")
    set_many = _standing_in("set_many")
    delete_many = _standing_in("delete_many")
    clear = _standing_in("clear")

    def _redis_worth_trying(self) -> bool:
        until = _down_until.get(self._location)
        return until is None or time.monotonic() >= until

    def _went_away(self, exc: Exception) -> None:
        with _down_lock:
            first = self._location not in _down_until
            _down_until[self._location] = time.monotonic() + RETRY_SECONDS
        if first:
            # The error names the host and port, never the URL's password.
            logger.warning(
                "Redis cache unreachable (%s: %s): this process keeps the cache and the "
                "rate-limit counters in its own memory, trying Redis again every %s s",
                type(exc).__name__,
                exc,
                RETRY_SECONDS,
            )

    def _answered(self) -> None:
        if self._location in _down_until:
            with _down_lock:
                back = _down_until.pop(self._location, None) is not None
            if back:
                logger.warning("Redis cache answers again: the cache and rate limits are shared")
                self._fallback.clear()

    def probe(self) -> None:
        """Write, read and delete a key in Redis itself; raise what Redis raised.

        The health check's question is whether Redis answers, which the stand-in memory
        would hide. A probe that succeeds ends this process's outage at once.
        """
        key = f"health:{uuid.uuid4().hex}"
        django_redis.RedisCache.set(self, key, "1", timeout=10)
        found = django_redis.RedisCache.get(self, key)
        django_redis.RedisCache.delete(self, key)
        if found != "1":
            raise RuntimeError("the cache did not return what was stored")
        self._answered()

    def count_up(self, counters: dict[str, int]) -> dict[str, int]:
        """Add one to each counter (key: seconds it lives once created); return the counts.

        One round trip for all of them, atomically per counter: what `add(key, 1,
        seconds)` and otherwise `incr(key)` do, with the same stored values, so counters
        written either way are the same counters.
        """
        keys = list(counters)
        if self._redis_worth_trying():
            try:
                counts = self._cache.count_up(
                    [self.make_and_validate_key(key) for key in keys],
                    [counters[key] for key in keys],
                )
            except UNREACHABLE as exc:
                self._went_away(exc)
            else:
                self._answered()
                return dict(zip(keys, counts, strict=True))
        return {key: self._count_up_here(key, seconds) for key, seconds in counters.items()}

    def _count_up_here(self, key: str, seconds: int) -> int:
        """Count in the stand-in memory: this process's counter, while Redis is out."""
        if self._fallback.add(key, 1, timeout=seconds):
            return 1
        try:
            return self._fallback.incr(key)
        except ValueError:  # expired between the two
            self._fallback.set(key, 1, timeout=seconds)
            return 1
