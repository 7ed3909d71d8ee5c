"""HTTP Basic authentication for OpenRosa clients, over HTTPS (ADR 0028).

ODK Collect, KoboCollect and Web Forms send `Authorization: Basic` after a 401 that asks
for it. The password is checked by Django's own backends, so django-axes counts and
locks out wrong guesses exactly as on the login page, and nothing but Django's password
hash is stored. Over plain HTTP credentials would travel readable: they are refused
unless `OPENROSA_ALLOW_HTTP` is on (it is with DEBUG, for a tablet on the local network).

A client sends the password with every request (the form list, each form, each
submission's HEAD and POST), and Django's password hash is slow on purpose: checked every
time, it made a tablet interview cost ten times an API one. A successful check is
therefore remembered for `OPENROSA_CREDENTIALS_SECONDS` in the shared cache, under a keyed
hash of the user name and password (the password itself is never stored). A remembered
check holds only while the user's stored password hash is the one it was made against
and the user is active and not locked out: a new password, a deactivation or a lock-out
takes effect at the next request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache
from django.http import HttpRequest

REALM = "Fieldwork OpenRosa"


class CredentialsRefused(Exception):
    """The request's credentials are refused: `status` and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def credentials(request: HttpRequest) -> tuple[str, str] | None:
    """Return the user name and password of a Basic `Authorization` header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def basic_authenticate(request: HttpRequest):
    """Return the user the request's Basic credentials belong to, or None if it sent none.

    Raises CredentialsRefused for credentials over plain HTTP, wrong ones and a locked-out pair.
    """
    from django.utils.translation import gettext as _

    given = credentials(request)
    if given is None:
        return None
    if not request.is_secure() and not settings.OPENROSA_ALLOW_HTTP:
        raise CredentialsRefused(
            403,
            _("Credentials are only accepted over HTTPS: use the server's https:// address."),
        )
    username, password = given
    key = _remembered_key(username, password)
    user = _remembered(request, key, username)
    if user is not None:
        return user
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise CredentialsRefused(
            429,
            _("Too many wrong passwords for this user name: try again later."),
        )
    if user is None or not user.is_active:
        raise CredentialsRefused(401, _("Wrong user name or password."))
    if settings.OPENROSA_CREDENTIALS_SECONDS:
        cache.set(key, (user.pk, user.password), settings.OPENROSA_CREDENTIALS_SECONDS)
    return user


def _remembered_key(username: str, password: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{username}\0{password}".encode(), hashlib.sha256
    ).hexdigest()
    return f"openrosa:checked:{digest}"


def _remembered(request: HttpRequest, key: str, username: str):
    """The user of a recent successful check of these credentials, if it still holds."""
    if not settings.OPENROSA_CREDENTIALS_SECONDS:
        return None
    remembered = cache.get(key)
    if remembered is None:
        return None
    pk, password_hash = remembered
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or user.password != password_hash:
        cache.delete(key)
        return None
    if AxesProxyHandler.is_locked(request, {"username": username}):
        return None  # the full check refuses it, with the lock-out's answer
    return user
