"""Sending a survey's messages: one sender per survey, at its rate, each message once.

`survey_send_due` is what the Celery task `mailings.tasks.send_due` runs. It takes the
survey's lease (so two workers never send one survey's messages side by side, and the
rate holds), then, until its time budget is spent: waits for the rate, claims the next
due message with a guarded UPDATE (`pending`, or `claimed` by a sender that died more
than MAIL_CLAIM_TIMEOUT_SECONDS ago), hands it to Django's mail backend, and records the
outcome. A temporary failure waits (base * 2^(n-1) seconds) and is tried again, up to
MAIL_MAX_ATTEMPTS; a recipient the server refuses for good is bounced. See
docs/decisions/0027-sending-exactly-once.md for what "once" can mean over SMTP.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import secrets
import smtplib
import time

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Min, Q
from django.urls import reverse
from django.utils import timezone

from mailings import addresses, messages, reminders
from mailings.models import Kind, MailingSchedule, Send

logger = logging.getLogger(__name__)

# What one task may spend sending before it hands over to the next (a task's soft time
# limit is 60 seconds), and at most a third of the claim timeout, so that its lease,
# renewed at every message, never looks dead while it lives.
BUDGET_SECONDS = 40.0
UNPACED_BACKENDS = (
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
)


def claim_timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.MAIL_CLAIM_TIMEOUT_SECONDS)


def is_paced() -> bool:
    """Whether messages wait for the rate: a mail server has one, files do not."""
    return settings.EMAIL_BACKEND not in UNPACED_BACKENDS


def _due(now: datetime.datetime) -> Q:
    pending = Q(state=Send.State.PENDING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    lost = Q(state=Send.State.CLAIMED, claimed__lt=now - claim_timeout())
    return pending | lost


def surveys_with_due_messages(now: datetime.datetime | None = None) -> list[int]:
    """Return the surveys with messages due and nobody sending them (for the sweeper)."""
    now = now or timezone.now()
    idle = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    ids = set(Send.objects.filter(_due(now)).values_list("wave__survey_id", flat=True).distinct())
    return list(
        MailingSchedule.objects.filter(idle, survey_id__in=ids).values_list("survey_id", flat=True)
    )


def survey_send_due(survey_id: int, budget: float | None = None) -> float | None:
    """Send the survey's due messages for up to `budget` seconds.

    Return None when nothing is left to send (or another sender holds the survey), else
    the seconds until more is due (0: at once).
    """
    budget = min(budget or BUDGET_SECONDS, settings.MAIL_CLAIM_TIMEOUT_SECONDS / 3)
    owner = secrets.token_hex(8)
    if not _lease_take(survey_id, owner):
        return None
    connection = None
    batch = _Batch(survey_id)
    try:
        schedule = MailingSchedule.objects.select_related("survey").get(survey_id=survey_id)
        interval = 60.0 / schedule.rate_per_minute if is_paced() else 0.0
        batch.last = schedule.last_sent
        deadline = time.monotonic() + budget
        while True:
            if batch.last is not None and interval:
                wait = (batch.last - timezone.now()).total_seconds() + interval
                if time.monotonic() + max(wait, 0) > deadline:
                    return max(wait, 0.0)
                if wait > 0:
                    time.sleep(wait)
            elif time.monotonic() > deadline:
                return 0.0
            send = batch.claim_next()
            if send is None:
                return _next_due(survey_id)
            if connection is None:
                connection = get_connection(fail_silently=False)
                try:
                    connection.open()  # one connection for the batch, not one per message
                except (smtplib.SMTPException, OSError) as exc:
                    _retry(send, f"{type(exc).__name__}: {exc}")
                    return _next_due(survey_id)
            went = _deliver(send, batch, connection)
            if went:
                batch.last = timezone.now()
            if not batch.keep_lease(owner):
                return None  # our lease ran out and another sender has the survey
            if went is None:  # the connection broke: a new one for the next message
                connection = _closed(connection)
    finally:
        _closed(connection)
        fields = {"lease_until": None, "lease_owner": ""}
        if batch.last is not None:
            fields["last_sent"] = batch.last
        MailingSchedule.objects.filter(survey_id=survey_id, lease_owner=owner).update(**fields)


class _Batch:
    """What one sender keeps between messages: due ids read ahead, templates, the lease."""

    def __init__(self, survey_id: int) -> None:
        self.survey_id = survey_id
        self.ahead: list[int] = []
        self.templates: dict[tuple[str, str], tuple[str, str]] = {}
        self.last: datetime.datetime | None = None
        self.renewed = time.monotonic()

    def claim_next(self) -> Send | None:
        """Claim the survey's next due message: the guarded UPDATE's row count says who won."""
        for _round in range(2):
            if not self.ahead:
                self.ahead = list(
                    Send.objects.filter(_due(timezone.now()), wave__survey_id=self.survey_id)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:200]
                )
            while self.ahead:
                pk = self.ahead.pop(0)
                now = timezone.now()
                won = Send.objects.filter(_due(now), pk=pk).update(
                    state=Send.State.CLAIMED, claimed=now, attempts=F("attempts") + 1
                )
                if won:
                    return Send.objects.select_related(
                        "wave__survey", "respondent__submission"
                    ).get(pk=pk)
        return None

    def template(self, survey, kind: str, language: str) -> tuple[str, str]:
        key = (kind, language)
        if key not in self.templates:
            subject, body, _default = messages.template_text(survey, kind, language)
            self.templates[key] = (subject, body)
        return self.templates[key]

    def keep_lease(self, owner: str) -> bool:
        """Renew the lease once a third of it has passed; False if it is no longer ours."""
        if time.monotonic() - self.renewed < settings.MAIL_CLAIM_TIMEOUT_SECONDS / 3:
            return True
        self.renewed = time.monotonic()
        fields = {"lease_until": timezone.now() + claim_timeout()}
        if self.last is not None:
            fields["last_sent"] = self.last
        return bool(
            MailingSchedule.objects.filter(survey_id=self.survey_id, lease_owner=owner).update(
                **fields
            )
        )


def _closed(connection) -> None:
    if connection is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return None


def _lease_take(survey_id: int, owner: str) -> bool:
    now = timezone.now()
    MailingSchedule.objects.get_or_create(
        survey_id=survey_id, defaults={"rate_per_minute": settings.MAIL_RATE_PER_MINUTE}
    )
    return bool(
        MailingSchedule.objects.filter(survey_id=survey_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + claim_timeout(), lease_owner=owner)
    )


def _next_due(survey_id: int) -> float | None:
    """Seconds until the survey's next retry (or lost claim) is due; None: nothing waits."""
    now = timezone.now()
    waiting = Send.objects.filter(wave__survey_id=survey_id)
    retry = waiting.filter(state=Send.State.PENDING).aggregate(at=Min("not_before"))["at"]
    lost = waiting.filter(state=Send.State.CLAIMED).aggregate(at=Min("claimed"))["at"]
    times = [t for t in (retry, lost + claim_timeout() if lost else None) if t is not None]
    if not times and not waiting.filter(state=Send.State.PENDING).exists():
        return None
    return max((min(times) - now).total_seconds(), 0.0) if times else 0.0


def _finish(send: Send, **fields) -> None:
    """Record the outcome, if the claim is still ours (it was not taken as lost)."""
    Send.objects.filter(pk=send.pk, state=Send.State.CLAIMED, claimed=send.claimed).update(**fields)


def _deliver(send: Send, batch: _Batch, connection) -> bool | None:
    """Send one claimed message; return True if it went, False if not, None if the
    connection failed (the message waits for a retry)."""
    survey = send.wave.survey
    respondent = send.respondent
    reason = skip_reason(send)
    if reason:
        _finish(send, state=Send.State.SKIPPED, error=reason)
        return False
    language = messages.member_language(survey, respondent)
    subject, body = batch.template(survey, send.wave.kind, language)
    opt_out = messages.opt_out_url(respondent)
    message = messages.render(
        survey,
        send.wave.kind,
        language,
        name=respondent.name,
        link=messages.site_url(reverse("mailings:open", args=[send.token])),
        opt_out=opt_out,
        subject=subject,
        body=body,
    )
    email = EmailMessage(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [respondent.email],
        connection=connection,
        headers={
            # Chosen when the wave was made: a message sent again after a lost claim
            # carries the same Message-ID.
            "Message-ID": send.message_id,
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": language,
            "Auto-Submitted": "auto-generated",
        },
    )
    record = {"email": respondent.email, "language": language}
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (0, b""))
        if code >= 500:
            _finish(send, state=Send.State.BOUNCED, error=_text(code, text), **record)
            return False
        _retry(send, _text(code, text), **record)
        return False
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            error = _text(exc.smtp_code, exc.smtp_error)
            _finish(send, state=Send.State.FAILED, error=error, **record)
            return False
        _retry(send, _text(exc.smtp_code, exc.smtp_error), **record)
        return None
    except (smtplib.SMTPException, OSError) as exc:
        _retry(send, f"{type(exc).__name__}: {exc}", **record)
        return None
    _finish(send, state=Send.State.SENT, sent=timezone.now(), error="", **record)
    return True


def _retry(send: Send, error: str, **record) -> None:
    attempts = send.attempts  # read after the claim, which counted this attempt
    if attempts >= settings.MAIL_MAX_ATTEMPTS:
        _finish(send, state=Send.State.FAILED, error=error, **record)
        logger.warning("message %s failed after %s attempts: %s", send.pk, attempts, error)
        return
    wait = settings.MAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    _finish(
        send,
        state=Send.State.PENDING,
        not_before=timezone.now() + datetime.timedelta(seconds=wait),
        error=error,
        **record,
    )


def _text(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {text}".strip()


def skip_reason(send: Send) -> str:
    """Return why this message must not go now (empty: it may)."""
    respondent = send.respondent
    if not respondent.email:
        return "no e-mail address"
    if send.wave.kind == Kind.REMINDER:
        return reminders.why_not(send.wave.survey, respondent)  # the address's block too
    blocked = addresses.blocked_reason(send.wave.survey, respondent.email)
    if blocked:
        return blocked
    submission = _related(respondent, "submission")
    if submission is not None and not submission.is_open:
        return "already took part"
    return ""


def _related(respondent, name: str):
    """The respondent's one-to-one `name`, or None (read with the send when it was)."""
    try:
        return getattr(respondent, name)
    except ObjectDoesNotExist:
        return None
