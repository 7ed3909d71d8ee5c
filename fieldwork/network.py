"""Who is on the other end of a request."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, read behind the configured number of proxies.

    Behind a load balancer every request comes from the balancer: the client is the
    entry of X-Forwarded-For that the last trusted proxy added (TRUSTED_PROXIES).
    """
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
