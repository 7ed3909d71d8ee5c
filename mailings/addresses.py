"""Addresses that get no more mail: opted out, or bounced, in this survey or another wave.

A member asks for no more e-mail "about this survey"; the next wave of the same study
(`surveys.waves.survey_copy`) is the same survey to them, and its panel is usually the
same people, so an address that opted out or bounced in any wave of a study gets nothing
from the others either. A survey that belongs to no study is its own scope. Addresses
are compared ignoring case.

Both are `Exists` expressions over the small tables (opt-outs, bounced messages), for
the queries that choose whom to mail, plus a reason for the last check before sending.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from mailings.models import OptOut, Send
from surveys.models import Survey


def _scope(survey: Survey) -> Q:
    """The members of `survey`'s study (or of the survey alone), seen from an opt-out or
    a message."""
    if survey.study:
        return Q(respondent__survey__study=survey.study)
    return Q(respondent__survey_id=survey.pk)


def opted_out(survey: Survey, email: str = "email") -> Exists:
    """True for a member (their address at `email`, an outer reference) whose address
    opted out in `survey` or a wave of its study."""
    return Exists(OptOut.objects.filter(_scope(survey), respondent__email__iexact=OuterRef(email)))


def bounced(survey: Survey, email: str = "email") -> Exists:
    """True for a member whose address bounced in `survey` or a wave of its study."""
    return Exists(
        Send.objects.filter(
            _scope(survey), state=Send.State.BOUNCED, respondent__email__iexact=OuterRef(email)
        )
    )


def blocked_reason(survey: Survey, email: str) -> str:
    """Return why `email` gets nothing more from `survey` (empty: it may get mail).

    Asked before each message, so both reads start from the small tables (the study's
    opt-outs, its bounced messages through their state's index) and the addresses are
    compared here: filtering the members by address instead made PostgreSQL read every
    member of the study for each message (bench/mailing_scale.py).
    """
    address = email.casefold()
    opted = OptOut.objects.filter(_scope(survey)).values_list("respondent__email", flat=True)
    if any(other.casefold() == address for other in opted):
        return "opted out"
    bounced = Send.objects.filter(_scope(survey), state=Send.State.BOUNCED).values_list(
        "respondent__email", flat=True
    )
    if any(other.casefold() == address for other in bounced):
        return "an earlier message bounced"
    return ""
