"""Writes of the mailings: waves of messages, templates, the schedule, opt-outs, opens."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from email.utils import make_msgid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldwork.errors import Refused
from mailings import addresses
from mailings.models import Kind, MailingSchedule, MessageTemplate, OptOut, Send, Wave
from respondents.known import KnownAnswers
from respondents.models import Respondent, Submission
from respondents.tokens import new_token
from surveys.models import Survey


def schedule_of(survey: Survey) -> MailingSchedule:
    schedule, _created = MailingSchedule.objects.get_or_create(
        survey=survey, defaults={"rate_per_minute": settings.MAIL_RATE_PER_MINUTE}
    )
    return schedule


def schedule_update(
    survey: Survey, *, rate_per_minute: int, reminder_after_days: int, reminder_max: int
) -> MailingSchedule:
    schedule = schedule_of(survey)
    schedule.rate_per_minute = rate_per_minute
    schedule.reminder_after_days = reminder_after_days
    schedule.reminder_max = reminder_max
    schedule.save(update_fields=["rate_per_minute", "reminder_after_days", "reminder_max"])
    return schedule


def template_save(
    survey: Survey, kind: str, language: str, subject: str, body: str, user=None
) -> MessageTemplate:
    """Store the survey's `kind` message in `language` (the caller checked its placeholders)."""
    template, _created = MessageTemplate.objects.update_or_create(
        survey=survey,
        kind=kind,
        language=language,
        defaults={"subject": subject, "body": body, "updated_by": user},
    )
    return template


def invitable(survey: Survey, respondent_ids: Iterable[int] | None = None) -> list[int]:
    """Return the ids of panel members an invitation may go to, of those given (or all).

    That is: with an e-mail address, never e-mailed an invitation, whose address has not
    opted out or bounced (in this survey or another wave of its study:
    `mailings.addresses`), not started, and not ineligible by what the panel knows of them.
    """
    members = (
        Respondent.objects.filter(survey=survey, source=Respondent.Source.PANEL)
        .exclude(email="")
        .exclude(Exists(Send.objects.filter(respondent=OuterRef("pk"), round=0)))
        .exclude(addresses.bounced(survey))
        .exclude(addresses.opted_out(survey))
        .exclude(Exists(Submission.objects.filter(respondent=OuterRef("pk"))))
        .order_by("pk")
    )
    if respondent_ids is not None:
        members = members.filter(pk__in=list(respondent_ids))
    known = KnownAnswers(survey)
    return [
        pk
        for pk, answers in members.values_list("pk", "known")
        if not (answers and known.screened_out_by(answers))
    ]


@transaction.atomic
def wave_create(
    survey: Survey,
    kind: str,
    rounds: dict[int, int],
    selection: str = "",
    user=None,
) -> Wave | None:
    """Create a wave of one message per member (`rounds`: respondent id -> round), and
    have it sent once the transaction commits. Return None when nobody is left to mail.

    A member who already has a message of that round is left out: the unique (member,
    round) pair is what makes a second click, a second selection or a rerun harmless.
    """
    schedule = MailingSchedule.objects.select_for_update().get(pk=schedule_of(survey).pk)
    taken = set(
        Send.objects.filter(
            respondent_id__in=list(rounds), round__in=set(rounds.values())
        ).values_list("respondent_id", "round")
    )
    wanted = {pk: r for pk, r in rounds.items() if (pk, r) not in taken}
    if not wanted:
        return None
    number = (Wave.objects.filter(survey=survey).aggregate(n=Max("number"))["n"] or 0) + 1
    wave = Wave.objects.create(
        survey=survey, number=number, kind=kind, selection=selection[:200], created_by=user
    )
    Send.objects.bulk_create(
        [
            Send(
                wave=wave,
                respondent_id=pk,
                round=r,
                token=new_token(),
                message_id=make_msgid(domain=_domain()),
            )
            for pk, r in wanted.items()
        ],
        batch_size=1000,
    )
    del schedule  # held locked until commit: wave numbers are taken one at a time
    transaction.on_commit(lambda: enqueue(survey.pk))
    return wave


def _domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL, which ends every Message-ID."""
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "localhost"


def invitations_send(
    survey: Survey, respondent_ids: Iterable[int] | None = None, selection: str = "", user=None
) -> Wave | None:
    """Invite by e-mail those of `respondent_ids` (or of the whole panel) who may be.

    Refused while the survey is not live: its links would lead nowhere.
    """
    if survey.status != Survey.Status.LIVE:
        raise Refused(
            _("The survey is %(status)s: invitations can be sent once it is live.")
            % {"status": survey.get_status_display().lower()}
        )
    return wave_create(
        survey,
        Kind.INVITATION,
        dict.fromkeys(invitable(survey, respondent_ids), 0),
        selection,
        user,
    )


def reminders_send(survey: Survey, now: datetime.datetime | None = None, user=None) -> Wave | None:
    """Send the reminders due now (a wave), if any."""
    from mailings.reminders import reminders_due

    due = dict(reminders_due(survey, now))
    if not due:
        return None
    return wave_create(survey, Kind.REMINDER, due, "reminders due", user)


def enqueue(survey_id: int) -> None:
    from mailings.tasks import send_due

    send_due.delay(survey_id)


def opt_out(respondent: Respondent) -> bool:
    """Record that the member wants no more messages; return False if they had already.

    Their messages still waiting are not sent.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                OptOut.objects.create(respondent=respondent)
        except IntegrityError:
            return False
        Send.objects.filter(respondent=respondent, state=Send.State.PENDING).update(
            state=Send.State.SKIPPED, error="opted out"
        )
    return True


def send_opened(send: Send) -> None:
    """Note the first time the member followed the link of this message."""
    Send.objects.filter(pk=send.pk, opened__isnull=True).update(opened=timezone.now())


def mailing_copy(source: Survey, copy: Survey) -> None:
    """Give a new wave (`surveys.waves.survey_copy`) the source's message templates and
    sending schedule: the rate and the reminders, not what was sent."""
    schedule = MailingSchedule.objects.filter(survey=source).first()
    if schedule is not None:
        MailingSchedule.objects.create(
            survey=copy,
            rate_per_minute=schedule.rate_per_minute,
            reminder_after_days=schedule.reminder_after_days,
            reminder_max=schedule.reminder_max,
        )
    MessageTemplate.objects.bulk_create(
        MessageTemplate(
            survey=copy,
            kind=template.kind,
            language=template.language,
            subject=template.subject,
            body=template.body,
            updated_by=template.updated_by,
        )
        for template in MessageTemplate.objects.filter(survey=source).order_by("pk")
    )
