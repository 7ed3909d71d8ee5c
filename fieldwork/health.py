"""The health endpoint: can this web process reach its database, broker and cache?

A load balancer takes a node out of rotation on 503. Each check has a short timeout, and
the body names what failed (its exception's class, not its message: the endpoint is
public and a message may carry a host name or a user); the details go to the log.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2.0


def database_check() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def broker_check() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not used: tasks run in the web process"
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://", "unix://")):
        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    else:
        with Connection(url, connect_timeout=TIMEOUT_SECONDS) as broker:
            broker.ensure_connection(max_retries=1)
    return "ok"


def cache_check() -> str:
    probe = getattr(cache, "probe", None)
    if probe is not None:  # the Redis cache, which would otherwise hide an outage
        probe()
        return "ok"
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    found = cache.get(key)
    cache.delete(key)
    if found != "1":
        raise RuntimeError("the cache did not return what was stored")
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": database_check,
    "broker": broker_check,
    "cache": cache_check,
}


def health_report() -> tuple[bool, dict[str, dict]]:
    """Run every check; return whether all passed and each one's result and time."""
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as exc:  # any failure is a failed check, never a 500
            logger.warning("health check %s failed: %r", name, exc)
            results[name] = {"ok": False, "detail": type(exc).__name__}
        results[name]["ms"] = round(1000 * (time.monotonic() - started), 1)
    return all(result["ok"] for result in results.values()), results


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    healthy, checks = health_report()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
