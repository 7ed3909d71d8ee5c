"""Reads of the mailings: the panel with each member's status, and the funnel per wave."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, Min, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mailings.models import Send, Wave
from respondents.models import Respondent, Submission, Verdict
from surveys.expressions import Evaluator
from surveys.models import Survey

# A member's status, the furthest they got (an opt-out wins over everything).
STATUSES = {
    "invited": _("invited"),
    "emailed": _("e-mailed"),
    "bounced": _("bounced"),
    "opened": _("opened"),
    "started": _("started"),
    "screened_out": _("screened out"),
    "over_quota": _("over quota"),
    "completed": _("completed"),
    "valid": _("valid"),
    "opted_out": _("opted out"),
}
# How many days after the invitation the response rate is shown for.
RESPONSE_DAYS = 14


def _sends(**conditions) -> Exists:
    return Exists(Send.objects.filter(respondent=OuterRef("pk"), **conditions))


def panel_members(survey: Survey, status: str = "", search: str = "") -> QuerySet[Respondent]:
    """Return the survey's panel members, each with its `status`, filtered if asked."""
    members = (
        Respondent.objects.filter(survey=survey, source=Respondent.Source.PANEL)
        .annotate(
            status=Case(
                When(Exists(_opt_outs()), then=Value("opted_out")),
                When(
                    submission__status=Submission.Status.COMPLETED,
                    submission__verdict=Verdict.VALID,
                    then=Value("valid"),
                ),
                When(submission__status=Submission.Status.COMPLETED, then=Value("completed")),
                When(submission__status=Submission.Status.OVER_QUOTA, then=Value("over_quota")),
                When(submission__status=Submission.Status.SCREENED_OUT, then=Value("screened_out")),
                When(submission__isnull=False, then=Value("started")),
                When(_sends(opened__isnull=False), then=Value("opened")),
                When(_sends(state=Send.State.BOUNCED), then=Value("bounced")),
                When(_sends(state=Send.State.SENT), then=Value("emailed")),
                default=Value("invited"),
                output_field=CharField(),
            )
        )
        .order_by("pk")
    )
    if status in STATUSES:
        members = members.filter(status=status)
    if search:
        members = members.filter(
            Q(panel_id__icontains=search) | Q(email__icontains=search) | Q(name__icontains=search)
        )
    return members


def _opt_outs():
    from mailings.models import OptOut

    return OptOut.objects.filter(respondent=OuterRef("pk"))


def status_counts(survey: Survey) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for row in panel_members(survey).values("status").annotate(n=Count("pk")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def in_cell(survey: Survey, cell_name: str, members: QuerySet[Respondent]) -> list[int]:
    """Return the ids of `members` whose known answers place them in the quota cell."""
    cell = survey.quota_cells.filter(name=cell_name).first()
    if cell is None:
        return []
    return [
        pk
        for pk, known in members.values_list("pk", "known")
        if Evaluator(known).holds(cell.condition)
    ]


@dataclass
class WaveRow:
    wave: Wave
    messages: int
    sent: int
    waiting: int
    bounced: int
    failed: int
    skipped: int
    opened: int
    opted_out: int

    @property
    def done(self) -> float:
        return (self.messages - self.waiting) / self.messages if self.messages else 1.0


def waves(survey: Survey) -> list[WaveRow]:
    """Each wave of sending with its messages' fates, newest first."""
    rows = []
    counted = (
        Wave.objects.filter(survey=survey)
        .annotate(
            messages=Count("sends"),
            sent=Count("sends", filter=Q(sends__state=Send.State.SENT)),
            waiting=Count(
                "sends", filter=Q(sends__state__in=[Send.State.PENDING, Send.State.CLAIMED])
            ),
            bounced=Count("sends", filter=Q(sends__state=Send.State.BOUNCED)),
            failed=Count("sends", filter=Q(sends__state=Send.State.FAILED)),
            skipped=Count("sends", filter=Q(sends__state=Send.State.SKIPPED)),
            opened=Count("sends", filter=Q(sends__opened__isnull=False)),
            opted_out=Count("sends", filter=Q(sends__respondent__opt_out__isnull=False)),
        )
        .order_by("-number")
    )
    for wave in counted:
        rows.append(
            WaveRow(
                wave,
                wave.messages,
                wave.sent,
                wave.waiting,
                wave.bounced,
                wave.failed,
                wave.skipped,
                wave.opened,
                wave.opted_out,
            )
        )
    return rows


def response_by_day(survey: Survey, days: int = RESPONSE_DAYS) -> list[tuple[int, float]]:
    """Return (days since the invitation, share of e-mailed members who completed by then).

    Of the members whose invitation was sent; a day is counted whole (0: the same day).
    """
    sent = Send.objects.filter(wave__survey=survey, round=0, state=Send.State.SENT)
    total = sent.count()
    if not total:
        return []
    # Only the days that have passed since the first invitation went.
    first = sent.aggregate(first=Min("sent"))["first"]
    days = min(days, (timezone.now() - first) // datetime.timedelta(days=1))
    completed = sent.filter(respondent__submission__status=Submission.Status.COMPLETED).values_list(
        "sent", "respondent__submission__ended"
    )
    by_day = [0] * (days + 1)
    for invited, ended in completed:
        if ended is None:
            continue
        day = max((ended - invited) // datetime.timedelta(days=1), 0)
        if day <= days:
            by_day[day] += 1
    shares, running = [], 0
    for day, count in enumerate(by_day):
        running += count
        shares.append((day, running / total))
    return shares


def mailing_funnel(survey: Survey) -> dict:
    """What the dashboard shows of the mailings (empty when nothing was ever sent)."""
    rows = waves(survey)
    if not rows:
        return {}
    return {"waves": rows, "response": response_by_day(survey)}
