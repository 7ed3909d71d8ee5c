"""HMAC-SHA256 signatures: of links (both directions with a provider) and of webhook bodies.

A link is signed over its path and query string, exactly as sent, without the `sig`
parameter and without scheme and host: `/p/kz/acme/?pid=42&age=30`. The signature is
the lowercase hex HMAC-SHA256 of those bytes with the provider's secret, appended as the
last parameter `sig`. A webhook body is signed over `<timestamp>.<raw body>`.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

SIG = "sig"


def _hmac(secret: str, message: str | bytes) -> str:
    if isinstance(message, str):
        message = message.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def query_without_sig(query: str) -> tuple[str, list[str]]:
    """Split a raw query string into (the query without `sig`, the `sig` values)."""
    kept, sigs = [], []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        if name == SIG:
            sigs.append(value)
        elif part:
            kept.append(part)
    return "&".join(kept), sigs


def signed_message(path: str, query: str) -> str:
    """Return what a link's signature covers: the path, and `?query` if there is one."""
    return f"{path}?{query}" if query else path


def sign_link(url: str, secret: str) -> str:
    """Return `url` with `sig=` appended: the HMAC of its path and query."""
    parts = urlsplit(url)
    query, _ = query_without_sig(parts.query)
    signature = _hmac(secret, signed_message(parts.path, query))
    query = f"{query}&{SIG}={signature}" if query else f"{SIG}={signature}"
    return parts._replace(query=query).geturl()


def verify_link(path: str, raw_query: str, secret: str) -> str:
    """Check a received link; return "" when the signature is right, else why not.

    The reason is "unsigned" (no sig parameter) or "tampered" (a wrong one, or several).
    """
    query, sigs = query_without_sig(raw_query)
    if not sigs or not sigs[0]:
        return "unsigned"
    expected = _hmac(secret, signed_message(path, query))
    given = sigs[0].lower()
    if len(sigs) != 1 or not given.isascii() or not hmac.compare_digest(expected, given):
        return "tampered"
    return ""


def sign_body(secret: str, timestamp: int, body: bytes) -> str:
    """Return the webhook signature header value: `sha256=` and the hex HMAC."""
    return "sha256=" + _hmac(secret, str(timestamp).encode() + b"." + body)


def verify_body(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Check a webhook signature header (what a receiver does), in constant time."""
    expected = "sha256=" + _hmac(secret, timestamp.encode() + b"." + body)
    return hmac.compare_digest(expected, header)
