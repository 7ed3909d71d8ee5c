"""Rate limits on the pages anyone can reach: respondents' links and the login forms.

Counting is django-ratelimit's, in the shared cache; a request over a limit gets the
429 page (`fieldwork.views.too_many_requests`). Limits are read from settings.RATE_LIMITS
at each request, so they can be set per deployment without code.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.decorators import ratelimit

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


def _username(group: str, request: HttpRequest) -> str:
    return (request.POST.get("username") or "").strip().lower()


def respondent_limited(view):
    """Limit a respondent-facing view per address and per link."""
    view = ratelimit(group="respondent-link", key=_link, rate=_rate("respondent_link"))(view)
    return ratelimit(group="respondent-ip", key=_ip, rate=_rate("respondent_ip"))(view)


def login_limited(view):
    """Limit login attempts (posts) per address and per user name."""
    view = ratelimit(group="login-user", key=_username, rate=_rate("login_user"), method="POST")(
        view
    )
    return ratelimit(group="login-ip", key=_ip, rate=_rate("login_ip"), method="POST")(view)
