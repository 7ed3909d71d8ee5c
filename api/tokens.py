"""API tokens: created with a random key that is shown once, found by its digest."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.utils import timezone

from api.models import ApiToken

KEY_PREFIX = "fw_"
# How stale `last_used` may get: one write a minute per token, not one per request.
LAST_USED_RESOLUTION_SECONDS = 60


def key_digest(key: str) -> str:
    """Return the stored form of a key: a random 256-bit key needs no slow hash."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """Return a fresh random key (256 bits), recognisable by its prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def token_create(user, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; return it and its key, which is not stored anywhere."""
    key = new_key()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=key[:10], digest=key_digest(key)
    )
    return token, key


def token_for_username(username: str, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for the user called `username` (LookupError when there is none)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise LookupError(username)
    return token_create(user, name)


def token_authenticate(key: str) -> ApiToken | None:
    """Return the token `key` belongs to, with its user, if it exists and the user is active."""
    token = ApiToken.objects.select_related("user").filter(digest=key_digest(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > (
        LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token
