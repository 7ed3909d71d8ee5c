"""Sending a survey's messages: one sender per survey, at its rate, each message once.

`survey_send_due` is what the Celery task `mailings.tasks.send_due` runs. It takes the
survey's lease (so two workers never send one survey's messages side by side, and the
rate holds), then, until its time budget is spent: waits for the rate, claims the next
due message with a guarded UPDATE (`pending`, or `claimed` by a sender that died more
than MAIL_CLAIM_TIMEOUT_SECONDS ago), hands it to Django's mail backend, and records the
outcome. A temporary failure waits (base * 2^(n-1) seconds) and is tried again, up to
MAIL_MAX_ATTEMPTS; a recipient the server refuses for good is bounced. See
docs/decisions/00XX-h18-sending-exactly-once.md for what "once" can mean over SMTP.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import secrets
import smtplib
import time
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Min, Q
from django.urls import reverse
from django.utils import timezone

from mailings import messages, reminders
from mailings.models import Kind, MailingSchedule, OptOut, Send

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
    try:
        schedule = MailingSchedule.objects.select_related("survey").get(survey_id=survey_id)
        interval = 60.0 / schedule.rate_per_minute if is_paced() else 0.0
        last = schedule.last_sent
        deadline = time.monotonic() + budget
        while True:
            if last is not None and interval:
                wait = (last - timezone.now()).total_seconds() + interval
                if time.monotonic() + max(wait, 0) > deadline:
                    return max(wait, 0.0)
                if wait > 0:
                    time.sleep(wait)
            elif time.monotonic() > deadline:
                return 0.0
            send = _claim_next(survey_id)
            if send is None:
                return _next_due(survey_id)
            if connection is None:
                connection = get_connection(fail_silently=False)
                try:
                    connection.open()  # one connection for the batch, not one per message
                except (smtplib.SMTPException, OSError) as exc:
                    _retry(send, f"{type(exc).__name__}: {exc}")
                    return _next_due(survey_id)
            went = _deliver(send, schedule, connection)
            if went:
                last = timezone.now()
            if not _lease_renew(survey_id, owner, last if went else None):
                return None  # our lease ran out and another sender has the survey
            if went is None:  # the connection broke: a new one for the next message
                connection = _closed(connection)
    finally:
        _closed(connection)
        MailingSchedule.objects.filter(survey_id=survey_id, lease_owner=owner).update(
            lease_until=None, lease_owner=""
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


def _lease_renew(survey_id: int, owner: str, sent: datetime.datetime | None) -> bool:
    fields = {"lease_until": timezone.now() + claim_timeout()}
    if sent is not None:
        fields["last_sent"] = sent
    return bool(
        MailingSchedule.objects.filter(survey_id=survey_id, lease_owner=owner).update(**fields)
    )


def _claim_next(survey_id: int) -> Send | None:
    """Claim the survey's next due message: the guarded UPDATE's row count says who won."""
    now = timezone.now()
    candidates = list(
        Send.objects.filter(_due(now), wave__survey_id=survey_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:20]
    )
    for pk in candidates:
        won = Send.objects.filter(_due(now), pk=pk).update(
            state=Send.State.CLAIMED, claimed=now, attempts=F("attempts") + 1
        )
        if won:
            return Send.objects.select_related("respondent", "wave__survey").get(pk=pk)
    return None


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


def _deliver(send: Send, schedule: MailingSchedule, connection) -> bool | None:
    """Send one claimed message; return True if it went, False if not, None if the
    connection failed (the message waits for a retry)."""
    survey = send.wave.survey
    respondent = send.respondent
    reason = skip_reason(send)
    if reason:
        _finish(send, state=Send.State.SKIPPED, error=reason)
        return False
    language = messages.member_language(survey, respondent)
    if not send.message_id:
        send.message_id = make_msgid(domain=_domain())
    Send.objects.filter(pk=send.pk).update(
        message_id=send.message_id, email=respondent.email, language=language
    )
    opt_out = messages.opt_out_url(respondent)
    message = messages.render(
        survey,
        send.wave.kind,
        language,
        name=respondent.name,
        link=messages.site_url(reverse("mailings:open", args=[send.token])),
        opt_out=opt_out,
    )
    email = EmailMessage(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [respondent.email],
        connection=connection,
        headers={
            "Message-ID": send.message_id,
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": language,
            "Auto-Submitted": "auto-generated",
        },
    )
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (0, b""))
        if code >= 500:
            _finish(send, state=Send.State.BOUNCED, error=_text(code, text))
            return False
        _retry(send, _text(code, text))
        return False
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            _finish(send, state=Send.State.FAILED, error=_text(exc.smtp_code, exc.smtp_error))
            return False
        _retry(send, _text(exc.smtp_code, exc.smtp_error))
        return None
    except (smtplib.SMTPException, OSError) as exc:
        _retry(send, f"{type(exc).__name__}: {exc}")
        return None
    _finish(send, state=Send.State.SENT, sent=timezone.now(), error="")
    return True


def _retry(send: Send, error: str) -> None:
    attempts = send.attempts  # read after the claim, which counted this attempt
    if attempts >= settings.MAIL_MAX_ATTEMPTS:
        _finish(send, state=Send.State.FAILED, error=error)
        logger.warning("message %s failed after %s attempts: %s", send.pk, attempts, error)
        return
    wait = settings.MAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    _finish(
        send,
        state=Send.State.PENDING,
        not_before=timezone.now() + datetime.timedelta(seconds=wait),
        error=error,
    )


def _text(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {text}".strip()


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "localhost"


def skip_reason(send: Send) -> str:
    """Return why this message must not go now (empty: it may)."""
    respondent = send.respondent
    if not respondent.email:
        return "no e-mail address"
    if OptOut.objects.filter(respondent=respondent).exists():
        return "opted out"
    if Send.objects.filter(respondent=respondent, state=Send.State.BOUNCED).exists():
        return "an earlier message bounced"
    if send.wave.kind == Kind.REMINDER:
        return reminders.why_not(send.wave.survey, respondent)
    if hasattr(respondent, "submission") and not respondent.submission.is_open:
        return "already took part"
    return ""
