import hashlib
import hmac

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.models import Delivery
from integrations.tasks import deliver_webhook
from integrations.webhooks import status_of
from respondents.models import Submission, Verdict
from respondents.validation import submission_override, submission_validate
from surveys.models import QuotaCell, Survey
from tests.integrations.conftest import make_webhook
from tests.respondents.conftest import Respondent_, invite
from tests.respondents.test_validation import attentive

pytestmark = pytest.mark.django_db


def completed(survey, panel_id="w1", **answers) -> Submission:
    person = Respondent_(invite(survey, panel_id, region="astana", age=33))
    person.finish("ru", **attentive(**answers))
    submission = person.submission
    assert submission.status == Submission.Status.COMPLETED
    return submission


def verify(secret: str, request: dict) -> bool:
    """The receiver's check, exactly as the README tells it."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    message = headers["x-fieldwork-timestamp"].encode() + b"." + request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-fieldwork-signature"])


def test_a_valid_verdict_is_posted_signed_after_two_failures(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    server = receiver(500, 503, 200)
    make_webhook(kazakhstan, server.url)
    submission = completed(kazakhstan)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(submission.pk)
    assert Submission.objects.get(pk=submission.pk).verdict == Verdict.VALID
    assert len(server.requests) == 3
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.last_status, status_of(delivery)) == (3, 200, "delivered")
    assert delivery.delivered is not None and delivery.next_retry is None
    # Every attempt carries the same delivery id, so the receiver can drop repeats.
    ids = {r["headers"]["X-Fieldwork-Delivery"] for r in server.requests}
    assert ids == {str(delivery.uid)}
    body = server.json()
    assert body["event"] == "valid" and body["id"] == str(delivery.uid)
    assert body["submission"]["id"] == submission.pk
    assert body["submission"]["verdict"] == "valid"
    assert body["submission"]["answers"]["region"] == "astana"
    assert all(verify("hook-secret-42", request) for request in server.requests)


def test_a_tampered_body_or_a_wrong_secret_fails_verification(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    server = receiver(200)
    make_webhook(kazakhstan, server.url)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(completed(kazakhstan).pk)
    request = server.requests[0]
    assert verify("hook-secret-42", request)
    assert not verify("another-secret", request)
    tampered = {**request, "body": request["body"].replace(b'"valid"', b'"invalid"')}
    assert not verify("hook-secret-42", tampered)


def test_a_delivered_delivery_is_not_sent_again(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    server = receiver(200)
    make_webhook(kazakhstan, server.url)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(completed(kazakhstan).pk)
    delivery = Delivery.objects.get()
    assert deliver_webhook.delay(delivery.pk).get() is False
    assert len(server.requests) == 1
    assert Delivery.objects.get().attempts == 1


def test_a_receiver_that_always_fails_is_given_up_after_the_last_attempt(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.WEBHOOK_MAX_ATTEMPTS = 4
    webhook_settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    server = receiver(500)
    make_webhook(kazakhstan, server.url)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(completed(kazakhstan).pk)
    delivery = Delivery.objects.get()
    assert len(server.requests) == 4
    assert status_of(delivery) == "failed"
    assert delivery.last_status == 500
    assert "gave up after 4 attempts" in delivery.last_error
    assert delivery.delivered is None and delivery.next_retry is None


def test_the_backoff_doubles_from_the_configured_base_up_to_the_cap(settings):
    from integrations.webhooks import backoff_seconds

    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 200
    assert [backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 200, 200]


def test_an_unreachable_receiver_is_recorded_as_an_error(
    kazakhstan, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.WEBHOOK_MAX_ATTEMPTS = 2
    make_webhook(kazakhstan, "http://127.0.0.1:9/nothing-listens-here")
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(completed(kazakhstan).pk)
    delivery = Delivery.objects.get()
    assert delivery.attempts == 2 and delivery.last_status is None
    assert "refused" in delivery.last_error.lower() or "error" in delivery.last_error.lower()


def test_over_quota_is_enqueued_after_commit_and_never_sent_in_the_request(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    server = receiver(200)
    make_webhook(kazakhstan, server.url, on_valid=False, on_over_quota=True)
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=0)
    person = Respondent_(invite(kazakhstan, "oq", region="astana"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        person.start("ru")
    assert person.submission.status == Submission.Status.OVER_QUOTA
    delivery = Delivery.objects.get()
    # Written with the ending, not yet sent: the request is over before any POST.
    assert delivery.event == "over_quota" and delivery.attempts == 0
    assert server.requests == []
    for callback in callbacks:
        callback()
    assert server.json()["submission"]["status"] == "over_quota"
    assert Delivery.objects.get().delivered is not None


def test_only_the_events_a_webhook_asks_for_are_sent(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    valid_only = receiver(200)
    everything = receiver(200)
    make_webhook(kazakhstan, valid_only.url)
    make_webhook(kazakhstan, everything.url, on_invalid=True, on_over_quota=True)
    inactive = make_webhook(kazakhstan, everything.url, on_invalid=True)
    inactive.active = False
    inactive.save()
    submission = completed(kazakhstan)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(submission.pk)
        submission_override(submission, Verdict.INVALID, "the interviewer made it up")
    assert [r["headers"]["X-Fieldwork-Event"] for r in valid_only.requests] == ["valid"]
    assert [r["headers"]["X-Fieldwork-Event"] for r in everything.requests] == [
        "valid",
        "invalid",
    ]


def test_validating_twice_sends_one_delivery(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    server = receiver(200)
    make_webhook(kazakhstan, server.url)
    submission = completed(kazakhstan)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(submission.pk)
        submission_validate(submission.pk)
        submission_validate(submission.pk, force=True)  # same verdict: nothing new to say
    assert len(server.requests) == 1


def test_the_admin_lists_deliveries_and_resends_one(
    kazakhstan, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    server = receiver(200)
    make_webhook(kazakhstan, server.url)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(completed(kazakhstan).pk)
    delivery = Delivery.objects.get()
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    listing = admin.get("/admin/integrations/delivery/").content.decode()
    assert "delivered" in listing and server.url in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/integrations/delivery/",
            {"action": "resend", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert "1 delivery sent again." in response.content.decode()
    assert len(server.requests) == 2
    assert server.requests[1]["headers"]["X-Fieldwork-Delivery"] == str(delivery.uid)
    assert Delivery.objects.get().attempts == 1  # counted afresh for the resend


def test_a_viewer_of_the_log_cannot_resend(kazakhstan, receiver, webhook_settings):
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("staff", password="pw-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client = Client()
    client.force_login(user)
    page = client.get("/admin/integrations/delivery/").content.decode()
    assert 'value="resend"' not in page


def test_the_sweeper_sends_a_delivery_whose_enqueue_was_lost(
    kazakhstan, receiver, webhook_settings, monkeypatch, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from integrations import webhooks
    from integrations.tasks import sweep_deliveries

    server = receiver(200)
    make_webhook(kazakhstan, server.url)
    monkeypatch.setattr(webhooks, "enqueue", lambda delivery_id: None)  # the broker was down
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(completed(kazakhstan).pk)
    assert server.requests == [] and Delivery.objects.get().attempts == 0
    monkeypatch.undo()
    assert sweep_deliveries() == 0  # not overdue yet: its own retry may still come
    Delivery.objects.update(next_retry=timezone.now() - timedelta(hours=1))
    assert sweep_deliveries() == 1
    assert len(server.requests) == 1 and Delivery.objects.get().delivered is not None
    assert sweep_deliveries() == 0


def test_a_broken_webhook_never_fails_the_verdict(
    kazakhstan, webhook_settings, monkeypatch, django_capture_on_commit_callbacks
):
    from integrations import webhooks

    def broken(*args, **kwargs):
        raise RuntimeError("the payload could not be built")

    monkeypatch.setattr(webhooks, "payload_of", broken)
    make_webhook(kazakhstan, "http://127.0.0.1:9/")
    submission = completed(kazakhstan)
    with django_capture_on_commit_callbacks(execute=True):
        submission_validate(submission.pk)
    assert Submission.objects.get(pk=submission.pk).verdict == Verdict.VALID
    assert not Delivery.objects.exists()


def test_the_admin_refuses_a_webhook_url_that_is_not_http(kazakhstan):
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    response = admin.post(
        "/admin/integrations/webhook/add/",
        {
            "survey": kazakhstan.pk,
            "url": "ftp://files.example/hook",
            "secret": "s",
            "on_valid": "on",
            "active": "on",
        },
    )
    assert "A webhook URL starts with https:// or http://." in response.content.decode()
    assert not kazakhstan.webhooks.exists()


def test_a_webhook_added_or_paused_mid_fieldwork_applies_to_the_next_verdict(kazakhstan):
    # Each process keeps what a survey's webhooks want per subscribers version: a
    # webhook's change must be a new version, or the verdicts after it would follow the
    # old answer. The questionnaire's version, and every cache keyed on it, stays.
    submission_validate(completed(kazakhstan, "before").pk)
    assert not Delivery.objects.exists()
    before = Survey.objects.values_list("questionnaire_version", "subscribers_version").get(
        pk=kazakhstan.pk
    )
    webhook = make_webhook(kazakhstan, "https://receiver.example/hook")
    after = Survey.objects.values_list("questionnaire_version", "subscribers_version").get(
        pk=kazakhstan.pk
    )
    assert after == (before[0], before[1] + 1)
    added = completed(kazakhstan, "after", age=44)
    submission_validate(added.pk)
    assert list(Delivery.objects.values_list("submission", flat=True)) == [added.pk]
    webhook.active = False
    webhook.save()
    submission_validate(completed(kazakhstan, "paused", age=55).pk)
    assert Delivery.objects.count() == 1
