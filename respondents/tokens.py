"""Respondent link tokens: unguessable, URL-safe, one per respondent and survey."""

import re
import secrets

# 32 random bytes: 256 bits, well past the 128 bits that make guessing hopeless.
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """Return a new random token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_well_formed(token: str) -> bool:
    """Return whether `token` could be one of ours, before asking the database."""
    return bool(TOKEN_PATTERN.fullmatch(token))
