"""How long a locked-out login stays locked: the slow back-off of django-axes' lock-out.

django-axes locks a (user name, address) pair after LOGIN_FAILURE_LIMIT wrong passwords
(AXES_LOCKOUT_PARAMETERS). Locking the user name itself would let anyone keep its owner
out by typing wrong passwords from a few addresses; locking only the pair lets an attacker
with many addresses try LOGIN_FAILURE_LIMIT passwords from each, again after every
cool-off. So the cool-off grows with the user name's failures from every address: it
doubles for each LOGIN_BACKOFF_FAILURES of them still on record, up to
LOGIN_LOCKOUT_MAX. Each attacking address is held longer and longer; an address that has
not failed (the owner's) is never locked by it.
"""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def user_name_failures(username: str) -> int:
    """Failed logins on record for `username`, from every address."""
    found = AccessAttempt.objects.filter(username=username).aggregate(
        total=Sum("failures_since_start")
    )
    return found["total"] or 0


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """The lock-out of a pair: LOGIN_LOCKOUT, doubled for every LOGIN_BACKOFF_FAILURES
    failures of its user name from every address, at most LOGIN_LOCKOUT_MAX."""
    base, longest = settings.LOGIN_LOCKOUT, settings.LOGIN_LOCKOUT_MAX
    username = request.POST.get("username") if request is not None else None
    if not username:
        return base
    doublings = user_name_failures(username) // settings.LOGIN_BACKOFF_FAILURES
    # Past the cap's doubling count the product only grows: stop before it is huge.
    if doublings >= 32 or base * 2**doublings >= longest:
        return longest
    return base * 2**doublings
