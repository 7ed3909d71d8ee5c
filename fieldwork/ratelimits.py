"""Rate limits on the pages anyone can reach: respondents' links and the login forms.

Counting is django-ratelimit's, in the shared cache (a respondent's two limits counted in
one round trip to Redis, in its counters: `respondent_limited`); a request over a limit
gets the 429 page (`fieldwork.views.too_many_requests`). Limits are read from settings.RATE_LIMITS
at each request, so they can be set per deployment without code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django_ratelimit import ALL

# Private helpers of django-ratelimit (pinned in requirements.txt), so that counting both
# limits at once uses its keys and windows exactly; see respondent_limited.
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from fieldwork.network import client_ip


def _rate(name: str) -> Callable[[str, HttpRequest], str]:
    return lambda group, request: settings.RATE_LIMITS[name]


def _ip(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def _link(group: str, request: HttpRequest) -> str:
    """A respondent's link: the token, or the survey of an open or provider link."""
    kwargs = request.resolver_match.kwargs if request.resolver_match else {}
    link = kwargs.get("token") or "/".join(str(v) for v in kwargs.values())
    # An open link is shared by everyone: there, only the address tells people apart.
    return f"{link}:{client_ip(request)}" if "token" not in kwargs else link


def _username_and_ip(group: str, request: HttpRequest) -> str:
    """A login's user name with its address: never the user name alone, which anyone
    could exhaust to keep its owner out."""
    return f"{(request.POST.get('username') or '').strip().lower()}@{client_ip(request)}"


# The respondent's limits: (django-ratelimit group, key function, name in RATE_LIMITS).
RESPONDENT_LIMITS = (
    ("respondent-ip", _ip, "respondent_ip"),
    ("respondent-link", _link, "respondent_link"),
)


def respondent_limited(view):
    """Limit a respondent-facing view per address and per link.

    Every respondent request counts against both limits. django-ratelimit counts each
    with two round trips to the cache (`add`, then `incr`): on the project's Redis cache
    both are counted in one (`fieldwork.cache.RedisCache.count_up`), in the same
    counters, under the same keys and windows as django-ratelimit's, refused the same
    way (its exception, so its middleware shows the 429 page). One difference: a request
    refused for its address still counts against its link (the decorators stop at the
    first limit), which only ever refuses sooner. Any other cache (the embedded
    default's memory) goes through django-ratelimit's decorators.
    """
    stacked = view
    for group, key, name in reversed(RESPONDENT_LIMITS):
        stacked = ratelimit(group=group, key=key, rate=_rate(name))(stacked)

    @wraps(view)
    def limited(request: HttpRequest, *args, **kwargs):
        cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
        if not getattr(settings, "RATELIMIT_ENABLE", True) or not hasattr(cache, "count_up"):
            return stacked(request, *args, **kwargs)
        counters, limits = {}, {}
        for group, key, name in RESPONDENT_LIMITS:
            rate = settings.RATE_LIMITS[name]
            value = key(group, request)
            limit, period = _split_rate(rate)
            cache_key = _make_cache_key(group, _get_window(value, period), rate, value, ALL)
            counters[cache_key] = period + EXPIRATION_FUDGE
            limits[cache_key] = limit
        counts = cache.count_up(counters)
        if any(counts[cache_key] > limit for cache_key, limit in limits.items()):
            request.limited = True
            refusal = getattr(settings, "RATELIMIT_EXCEPTION_CLASS", Ratelimited)
            raise (import_string(refusal) if isinstance(refusal, str) else refusal)()
        return view(request, *args, **kwargs)

    return limited


def login_limited(view):
    """Limit login attempts (posts) per address and per (user name, address) pair."""
    view = ratelimit(
        group="login-pair", key=_username_and_ip, rate=_rate("login_pair"), method="POST"
    )(view)
    return ratelimit(group="login-ip", key=_ip, rate=_rate("login_ip"), method="POST")(view)
