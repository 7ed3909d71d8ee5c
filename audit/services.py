"""Writing the audit log. Call `record` inside the transaction of the change it records,
so an entry exists exactly when its change does."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.http import HttpRequest

from audit.models import AuditEntry
from fieldwork.network import client_ip

Action = AuditEntry.Action

COMMAND_LINE = "command line"


def record(
    action: str,
    *,
    user=None,
    survey=None,
    target: Any = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor: str = "",
) -> AuditEntry:
    """Add an entry; `user` None means a management command, unless `actor` says who."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if user is not None and not user.is_authenticated:
        user = None
    name = actor or (user.get_username() if user is not None else COMMAND_LINE)
    return AuditEntry.objects.create(
        action=Action(action),
        user=user,
        actor=name[:150],
        survey=survey,
        survey_slug=getattr(survey, "slug", "") or "",
        target=str(target)[:300],
        details=details or {},
        ip=_address(request),
    )


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
