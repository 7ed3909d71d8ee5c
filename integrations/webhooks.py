"""Webhooks: a delivery per event and webhook, created with the verdict, sent by a task.

A delivery row is written in the same transaction as the verdict (or the over-quota
ending) it reports, and handed to a worker once that transaction commits; nothing is
sent from a respondent's request. A delivery is sent until the receiver answers 2xx,
at most WEBHOOK_MAX_ATTEMPTS times with exponential backoff; once delivered it is never
sent again unless someone resends it.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fieldwork.memo import BoundedMemo
from integrations import signing
from integrations.models import Delivery, Event, ProviderRespondent, Webhook
from respondents.announcements import Judged
from respondents.models import Submission
from surveys.models import Survey
from surveys.services import survey_subscribers_changed

logger = logging.getLogger(__name__)

USER_AGENT = "Fieldwork-Webhooks/1"


def payload_of(submission: Submission, event: str, delivery_uid: str) -> dict:
    """Return the JSON document a receiver gets for `event` on `submission`."""
    link = (
        ProviderRespondent.objects.filter(respondent_id=submission.respondent_id)
        .select_related("provider")
        .first()
    )
    respondent = submission.respondent
    return {
        "id": delivery_uid,
        "event": event,
        "survey": submission.survey.slug,
        # A test link's submission: a receiver must not count it (ADR 0026).
        "test": submission.is_test,
        "submission": {
            "id": submission.pk,
            "status": submission.status,
            "verdict": submission.verdict,
            "language": submission.language,
            "started": submission.started.isoformat() if submission.started else None,
            "ended": submission.ended.isoformat() if submission.ended else None,
            "seconds": submission.seconds,
            "panel_id": respondent.panel_id,
            "provider": link.provider.slug if link else None,
            "provider_id": link.external_id if link else None,
            "quality": {
                rule: bool(result.get("passed")) for rule, result in submission.qc_results.items()
            },
            "answers": {**respondent.known, **submission.answers},
        },
    }


# The events the active webhooks of a survey want, kept by each process per subscribers
# version: saving or deleting a webhook moves that version (`survey_changed`), so what one
# version wants does not change (ADR 0012), and a verdict asks neither Redis nor the
# database whether to write a delivery (validation reads the version with the
# submission). The key also carries a five-minute window, a safety net for a change
# made without the model's signals (a queryset update, SQL).
_WANTED = BoundedMemo("webhook events per survey version", maxsize=64)
WANTED_WINDOW_SECONDS = 300


def events_wanted(survey: Survey) -> frozenset[str]:
    """The events some active webhook of the survey (as of its subscribers version) wants."""
    key = (survey.pk, survey.subscribers_version, int(time.time() // WANTED_WINDOW_SECONDS))
    wanted = _WANTED.get(key)
    if wanted is None:
        wanted = frozenset(
            event
            for webhook in Webhook.objects.filter(survey_id=survey.pk, active=True)
            for event in Event.values
            if webhook.wants(event)
        )
        _WANTED.set(key, wanted)
    return wanted


def survey_changed(sender=None, *, instance: Webhook, **kwargs) -> None:
    """A webhook added, changed or removed: move its survey's subscribers version.

    Connected to the Webhook model's post_save and post_delete, so that every way of
    changing a webhook (the admin, a script) counts; the questionnaire's version stays.
    """
    survey_subscribers_changed(instance.survey_id)


def deliveries_create(judged: Judged) -> list[int]:
    """Write a delivery for each active webhook of the survey that wants the event.

    Subscribed to respondents' announcements: called by the verdict's service inside its
    transaction, so the deliveries commit or roll back with the verdict, and they are
    enqueued only after it commits.
    """
    submission, event, survey = judged.submission, judged.event, judged.survey
    if event not in events_wanted(survey):
        return []
    ids = []
    # A savepoint: should this fail, the verdict's own transaction goes on unharmed.
    with transaction.atomic():
        webhooks = Webhook.objects.filter(survey_id=submission.survey_id, active=True)
        webhooks = [webhook for webhook in webhooks if webhook.wants(event)]
        if webhooks:
            submission = Submission.objects.select_related("respondent", "survey").get(
                pk=submission.pk
            )
        for webhook in webhooks:
            delivery = Delivery(webhook=webhook, submission=submission, event=event, payload={})
            delivery.payload = payload_of(submission, event, str(delivery.uid))
            delivery.next_retry = timezone.now()
            delivery.save()
            ids.append(delivery.pk)
    for delivery_id in ids:
        transaction.on_commit(partial(enqueue, delivery_id))
    return ids


def enqueue(delivery_id: int) -> None:
    """Hand a delivery to a worker; when the broker is down, the sweeper does it later."""
    from integrations.tasks import deliver_webhook

    try:
        deliver_webhook.delay(delivery_id)
    except Exception:  # the broker's errors vary by transport; none may reach a respondent
        logger.exception("could not enqueue webhook delivery %s", delivery_id)


def body_of(delivery: Delivery) -> bytes:
    """Return the exact bytes sent (and signed): the payload as compact, sorted JSON."""
    return json.dumps(
        delivery.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def backoff_seconds(attempts: int) -> float:
    """Return the wait before attempt `attempts + 1`: base × 2^(attempts − 1), capped."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)


@dataclass
class Attempt:
    sent: bool
    retry_in: float | None = None  # seconds until the next attempt, None for no more


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer other than 2xx: tried again later


_opener = urllib.request.build_opener(_NoRedirects)


def _post(delivery: Delivery) -> tuple[int | None, str]:
    """POST the delivery once; return (status code or None, error text or "")."""
    body = body_of(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Fieldwork-Delivery": str(delivery.uid),
            "X-Fieldwork-Event": delivery.event,
            "X-Fieldwork-Timestamp": str(timestamp),
            "X-Fieldwork-Signature": signing.sign_body(delivery.webhook.secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:1000]


def delivery_attempt(delivery_id: int) -> Attempt:
    """Send a delivery once, unless it was delivered or another worker is sending it.

    The claim is an UPDATE whose row count decides, so two workers (a retry and a
    resend, or a message redelivered after a worker died) never send it at once.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 30)
    claimed = (
        Delivery.objects.filter(pk=delivery_id, delivered__isnull=True)
        .filter(attempts__lt=settings.WEBHOOK_MAX_ATTEMPTS)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
        .update(sending_until=lease, attempts=F("attempts") + 1)
    )
    if not claimed:
        return Attempt(sent=False)
    delivery = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    status, error = _post(delivery)
    ok = status is not None and 200 <= status < 300
    fields = {"last_status": status, "last_error": error, "sending_until": None}
    retry_in = None
    if ok:
        fields |= {"delivered": timezone.now(), "next_retry": None, "last_error": ""}
    elif delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        retry_in = backoff_seconds(delivery.attempts)
        fields["next_retry"] = timezone.now() + timedelta(seconds=retry_in)
    else:
        fields["next_retry"] = None
        fields["last_error"] = f"{error} (gave up after {delivery.attempts} attempts)"
        logger.warning("webhook delivery %s failed %d times", delivery.pk, delivery.attempts)
    Delivery.objects.filter(pk=delivery_id).update(**fields)
    return Attempt(sent=ok, retry_in=retry_in)


def delivery_resend(deliveries) -> int:
    """Send the chosen deliveries again, delivered or not, under the same delivery id."""
    ids = list(deliveries.values_list("pk", flat=True))
    with transaction.atomic():
        # A lease held by a worker sending it right now stays: never two sends at once.
        Delivery.objects.filter(pk__in=ids).update(
            delivered=None, attempts=0, next_retry=timezone.now()
        )
        for delivery_id in ids:
            transaction.on_commit(partial(enqueue, delivery_id))
    return len(ids)


def lost_delivery_ids(limit: int = 500) -> list[int]:
    """Return undelivered deliveries whose retry is long overdue (never enqueued, or lost)."""
    overdue = timezone.now() - timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS)
    return list(
        Delivery.objects.filter(
            delivered__isnull=True,
            attempts__lt=settings.WEBHOOK_MAX_ATTEMPTS,
            next_retry__lt=overdue,
        )
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=timezone.now()))
        .order_by("next_retry")
        .values_list("pk", flat=True)[:limit]
    )


def status_of(delivery: Delivery) -> str:
    if delivery.delivered:
        return "delivered"
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        return "failed"
    return "pending"


__all__ = ["Event", "deliveries_create", "delivery_attempt", "delivery_resend"]
