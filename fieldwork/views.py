"""Project-wide pages that no app owns."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fieldwork.lockout import cool_off


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The page for a request over a rate limit: 429, and when to try again."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def locked_out(request: HttpRequest, credentials: dict | None = None, *args) -> HttpResponse:
    """The page django-axes shows once a user name is locked out on an address."""
    minutes = max(1, int(cool_off(request).total_seconds() // 60))
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
