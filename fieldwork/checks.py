"""System checks of the deployment that no app owns."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django_ratelimit.checks import KNOWN_BROKEN_CACHE_BACKENDS


@checks.register(checks.Tags.caches, deploy=True)
def rate_limits_need_a_shared_cache(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Warn when production counts rate limits in each process's own memory.

    django-ratelimit's own error for this (E003) is silenced: as an error it would stop
    every management command of such a deployment, and on the embedded default (one
    process, DEBUG on) the memory cache counts right.
    """
    if settings.DEBUG:
        return []
    name = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(name, {}).get("BACKEND", "")
    reason = KNOWN_BROKEN_CACHE_BACKENDS.get(backend)
    if reason is None:
        return []
    return [
        checks.Warning(
            f"REDIS_URL is not set: the rate limits and the cache are kept in each process "
            f"({backend} {reason}), so every web process and node counts its own limits.",
            hint="Set REDIS_URL to a Redis that every web process shares.",
            id="fieldwork.W001",
        )
    ]
