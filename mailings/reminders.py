"""Who is due a reminder, and who must never get one.

A reminder goes `reminder_after_days` days after the member's last message, at most
`reminder_max` of them, only while the survey is live and its fieldwork has not ended,
and only to members who have not finished: never to one who completed, was screened out
or over quota, whose address opted out or bounced (here or in another wave of the study),
whose known answers fail screening, or whose quota cell is full. The same rules are
asked again of each reminder just before it is sent (`why_not`), since a member may
finish between the two.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone

from mailings import addresses
from mailings.models import MailingSchedule, Send
from respondents.known import screened_out_by
from respondents.models import Respondent, Submission
from respondents.services import full_cell
from surveys.models import Survey


def survey_closed_reason(survey: Survey, today: datetime.date | None = None) -> str:
    """Return why the survey sends no reminders now (empty: it may)."""
    today = today or timezone.localdate()
    if survey.status != Survey.Status.LIVE:
        return f"the survey is {survey.status}"
    if survey.fieldwork_end is not None and today > survey.fieldwork_end:
        return "the fieldwork has ended"
    return ""


def why_not(survey: Survey, respondent: Respondent) -> str:
    """Return why `respondent` must get no reminder now (empty: they may)."""
    closed = survey_closed_reason(survey)
    if closed:
        return closed
    submission = respondent.submission if _has_submission(respondent) else None
    if submission is not None and submission.status != Submission.Status.IN_PROGRESS:
        return f"the member's questionnaire ended ({submission.status})"
    blocked = addresses.blocked_reason(survey, respondent.email)
    if blocked:
        return blocked
    return _blocked_by_answers(survey, respondent, submission)


def _blocked_by_answers(survey: Survey, respondent: Respondent, submission) -> str:
    answers = {**respondent.known, **(submission.answers if submission is not None else {})}
    if screened_out_by(survey, respondent.known):
        return "ineligible by what the panel knows"
    cell = full_cell(survey, answers)
    if cell is not None:
        return f"the quota cell {cell} is full"
    return ""


def _has_submission(respondent: Respondent) -> bool:
    try:
        respondent.submission  # noqa: B018
    except Submission.DoesNotExist:
        return False
    return True


def reminders_due(survey: Survey, now: datetime.datetime | None = None) -> list[tuple[int, int]]:
    """Return (respondent id, round) of each member due a reminder now."""
    now = now or timezone.now()
    schedule = MailingSchedule.objects.filter(survey=survey).first()
    if schedule is None or schedule.reminder_max == 0 or survey_closed_reason(survey):
        return []
    cutoff = now - datetime.timedelta(days=schedule.reminder_after_days)
    finished = Submission.objects.filter(respondent=OuterRef("respondent")).exclude(
        status=Submission.Status.IN_PROGRESS
    )
    rows = (
        Send.objects.filter(wave__survey=survey)
        .values("respondent")
        .annotate(
            last_round=Max("round"),
            last_sent=Max("sent"),
            invited=Count("pk", filter=Q(round=0, state=Send.State.SENT)),
            open=Count("pk", filter=Q(state__in=[Send.State.PENDING, Send.State.CLAIMED])),
            bounced=Count("pk", filter=Q(state=Send.State.BOUNCED)),
        )
        .filter(
            invited__gt=0,
            open=0,
            bounced=0,
            last_round__lt=schedule.reminder_max,
            last_sent__lte=cutoff,
        )
        .exclude(addresses.opted_out(survey, "respondent__email"))
        .exclude(addresses.bounced(survey, "respondent__email"))
        .exclude(Exists(finished))
        .order_by("respondent")
    )
    due = {row["respondent"]: row["last_round"] + 1 for row in rows}
    members = Respondent.objects.filter(pk__in=due).select_related("submission")
    # The query left out who finished, opted out or bounced: what remains is their answers.
    return [
        (r.pk, due[r.pk])
        for r in members
        if not _blocked_by_answers(survey, r, r.submission if _has_submission(r) else None)
    ]
