"""Invitations through a real SMTP server: language, link, headers, rate, retries, once."""

from __future__ import annotations

import datetime
import re
import time

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from fieldwork.celery import app as celery_app
from fieldwork.errors import Refused
from mailings import sending, services
from mailings.models import Send
from surveys.models import Survey
from tests.mailings.conftest import members

LINK = re.compile(r"https://survey\.example/m/([A-Za-z0-9_-]{43})/")


def send_all(survey) -> None:
    """Run the survey's sender until nothing is due now."""
    for _ in range(50):
        wait = sending.survey_send_due(survey.pk)
        if not wait:  # None (nothing left) or a retry in the future would be > 0
            if wait is None:
                return
            continue
        return


def test_each_member_gets_the_invitation_in_their_language_with_link_and_headers(
    kazakhstan_mailing, smtp
):
    aigerim, boris = members(
        kazakhstan_mailing,
        ("kz-1", "kk", "aigerim@example.kz", "Айгерім", {"region": "astana"}),
        ("kz-2", "ru", "boris@example.kz", "Борис", {"region": "astana"}),
    )
    services.invitations_send(kazakhstan_mailing)
    send_all(kazakhstan_mailing)

    (kazakh,) = smtp.to("aigerim@example.kz")
    (russian,) = smtp.to("boris@example.kz")
    assert str(kazakh.message["Subject"]).strip().startswith("Шақыру: ")
    assert "Құрметті Айгерім!" in kazakh.body
    assert str(russian.message["Subject"]).strip().startswith("Приглашение: ")
    assert "Здравствуйте, Борис!" in russian.body
    assert "Опрос открыт до" in russian.body
    assert russian.message["Content-Language"] == "ru"
    assert russian.sender == "survey@fieldwork.example"

    # The link in the message opens the member's own questionnaire, noted as opened.
    send = Send.objects.get(respondent=boris)
    assert LINK.search(russian.body).group(1) == send.token
    response = Client().get(f"/m/{send.token}/")
    assert response.status_code == 302 and response["Location"] == boris.get_absolute_url()
    send.refresh_from_db()
    assert send.opened is not None and send.state == Send.State.SENT

    # One-click opt-out (RFC 8058) and the Message-ID the database recorded.
    # (a long header is folded; unfolding leaves the fold's space, which clients ignore)
    unsubscribe = str(russian.message["List-Unsubscribe"]).strip()
    assert re.fullmatch(r"<https://survey\.example/m/[^/]+/opt-out/>", unsubscribe)
    assert unsubscribe[1:-1] in russian.body
    assert russian.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(russian.message["Message-ID"]).strip() == send.message_id
    assert send.message_id.endswith("@fieldwork.example>")
    assert (
        Send.objects.get(respondent=aigerim).message_id == str(kazakh.message["Message-ID"]).strip()
    )


def test_the_rate_is_respected(kazakhstan_mailing, smtp):
    schedule = services.schedule_of(kazakhstan_mailing)
    schedule.rate_per_minute = 120  # one message every half second
    schedule.save()
    members(kazakhstan_mailing, *[(f"kz-{n}", "ru", f"m{n}@example.kz", "", {}) for n in range(6)])
    services.invitations_send(kazakhstan_mailing)
    send_all(kazakhstan_mailing)

    times = sorted(r.at for r in smtp.received)
    assert len(times) == 6
    # 5 gaps of 0.5 s: at least 2.25 s in all, whatever the machine's load.
    assert times[-1] - times[0] >= 2.25


def test_a_temporary_refusal_is_retried_with_backoff_then_marked_failed(
    kazakhstan_mailing, smtp, settings
):
    settings.MAIL_MAX_ATTEMPTS = 3
    settings.MAIL_RETRY_BASE_SECONDS = 0.3
    smtp.refuse["busy@example.kz"] = "451 4.3.0 mailbox busy, try later"
    (busy, _fine) = members(
        kazakhstan_mailing,
        ("kz-1", "ru", "busy@example.kz", "", {}),
        ("kz-2", "ru", "fine@example.kz", "", {}),
    )
    schedule = services.schedule_of(kazakhstan_mailing)
    schedule.rate_per_minute = 6000
    schedule.save()
    services.invitations_send(kazakhstan_mailing)

    waits = {}  # attempt -> how long the retry was put off
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        wait = sending.survey_send_due(kazakhstan_mailing.pk)
        if wait is None:
            break
        send = Send.objects.get(respondent=busy)
        if send.state == Send.State.PENDING:
            waits[send.attempts] = (send.not_before - send.claimed).total_seconds()
        time.sleep(wait)
    send = Send.objects.get(respondent=busy)
    assert send.state == Send.State.FAILED
    assert send.attempts == 3
    assert "451" in send.error and "mailbox busy" in send.error
    # Waited 0.3 s, then 0.6 s: the wait doubles.
    assert sorted(waits) == [1, 2]
    assert 0.3 <= waits[1] < 0.6 and 0.6 <= waits[2] < 1.2
    assert len(smtp.to("fine@example.kz")) == 1
    assert smtp.to("busy@example.kz") == []


def test_a_recipient_refused_for_good_bounces(kazakhstan_mailing, smtp):
    smtp.refuse["gone@example.kz"] = "550 5.1.1 no such user"
    (gone,) = members(kazakhstan_mailing, ("kz-1", "ru", "gone@example.kz", "", {}))
    services.invitations_send(kazakhstan_mailing)
    send_all(kazakhstan_mailing)
    send = Send.objects.get(respondent=gone)
    assert send.state == Send.State.BOUNCED
    assert send.error.startswith("550")


def test_a_claim_left_by_a_dead_sender_is_sent_again_once_with_the_same_message_id(
    kazakhstan_mailing, smtp, settings
):
    settings.MAIL_CLAIM_TIMEOUT_SECONDS = 60
    lost, fresh = members(
        kazakhstan_mailing,
        ("kz-1", "ru", "lost@example.kz", "", {}),
        ("kz-2", "ru", "fresh@example.kz", "", {}),
    )
    services.invitations_send(kazakhstan_mailing)
    # A sender claimed both and died: one claim is older than the timeout, one is not.
    Send.objects.filter(respondent=lost).update(
        state=Send.State.CLAIMED,
        claimed=timezone.now() - datetime.timedelta(seconds=61),
        attempts=1,
        message_id="<lost.1@fieldwork.example>",
    )
    Send.objects.filter(respondent=fresh).update(
        state=Send.State.CLAIMED, claimed=timezone.now(), attempts=1
    )
    assert sending.survey_send_due(kazakhstan_mailing.pk) > 50  # the fresh claim is not lost yet

    (message,) = smtp.to("lost@example.kz")
    assert str(message.message["Message-ID"]).strip() == "<lost.1@fieldwork.example>"
    assert smtp.to("fresh@example.kz") == []
    send = Send.objects.get(respondent=lost)
    assert (send.state, send.attempts) == (Send.State.SENT, 2)
    # Running the sender again sends nothing more.
    sending.survey_send_due(kazakhstan_mailing.pk)
    assert len(smtp.received) == 1


def test_inviting_the_same_members_again_mails_nobody_twice(kazakhstan_mailing, smtp):
    members(kazakhstan_mailing, *[(f"kz-{n}", "kk", f"m{n}@example.kz", "", {}) for n in range(3)])
    first = services.invitations_send(kazakhstan_mailing)
    assert first.sends.count() == 3
    assert services.invitations_send(kazakhstan_mailing) is None
    send_all(kazakhstan_mailing)
    send_all(kazakhstan_mailing)
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "m0@example.kz",
        "m1@example.kz",
        "m2@example.kz",
    ]


def test_a_second_sender_waits_for_the_first(kazakhstan_mailing, smtp):
    members(kazakhstan_mailing, ("kz-1", "ru", "a@example.kz", "", {}))
    services.invitations_send(kazakhstan_mailing)
    assert sending._lease_take(kazakhstan_mailing.pk, "someone-else")
    assert sending.survey_send_due(kazakhstan_mailing.pk) is None
    assert smtp.received == []


def test_members_without_an_address_or_ineligible_are_not_invited(kazakhstan_mailing, smtp):
    members(
        kazakhstan_mailing,
        ("kz-1", "ru", "", "", {}),
        ("kz-2", "ru", "young@example.kz", "", {"age": 16}),
        ("kz-3", "ru", "adult@example.kz", "", {"age": 30}),
    )
    wave = services.invitations_send(kazakhstan_mailing)
    assert [s.respondent.panel_id for s in wave.sends.all()] == ["kz-3"]


def test_without_a_mail_server_messages_are_files(kazakhstan_mailing, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    members(kazakhstan_mailing, ("kz-1", "ru", "a@example.kz", "Анна", {}))
    services.invitations_send(kazakhstan_mailing)
    assert sending.survey_send_due(kazakhstan_mailing.pk) is None
    (written,) = list(tmp_path.iterdir())
    text = written.read_text(encoding="utf-8")
    assert "To: a@example.kz" in text
    assert Send.objects.get().state == Send.State.SENT


@pytest.mark.django_db(transaction=True)
def test_sending_starts_once_the_wave_is_committed(kazakhstan_mailing, smtp, settings, monkeypatch):
    # Tasks in process, as without a broker (the worker's side: tests/stack).
    # (Celery's configuration, not Django's settings: Celery reads those once.)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    members(kazakhstan_mailing, ("kz-1", "ru", "a@example.kz", "", {}))
    with transaction.atomic():
        services.invitations_send(kazakhstan_mailing)
        assert smtp.received == []  # the task (here in process) waits for the commit
    assert len(smtp.to("a@example.kz")) == 1


def test_invitations_wait_for_the_survey_to_be_live(kazakhstan_mailing, smtp):
    members(kazakhstan_mailing, ("kz-1", "ru", "a@example.kz", "", {}))
    Survey.objects.filter(pk=kazakhstan_mailing.pk).update(status=Survey.Status.DRAFT)
    kazakhstan_mailing.refresh_from_db()
    with pytest.raises(
        Refused, match="The survey is draft: invitations can be sent once it is live"
    ):
        services.invitations_send(kazakhstan_mailing)
    assert not Send.objects.exists()


def test_the_invite_command_mails_the_panel_file(kazakhstan_mailing, smtp, tmp_path, capsys):
    panel = tmp_path / "members.csv"
    panel.write_text(
        "panel_id,language,email,name,age\n"
        "kz-1,kk,a@example.kz,Айгерім,30\n"
        "kz-2,ru,,,40\n"
        "kz-3,ru,young@example.kz,,16\n",
        encoding="utf-8",
    )
    call_command("invite", kazakhstan_mailing.slug, "--panel", str(panel), "--send")
    assert "wave 1: 1 invitations queued for sending" in capsys.readouterr().out
    send_all(kazakhstan_mailing)
    (message,) = smtp.received
    assert message.recipients == ["a@example.kz"]
    assert "Құрметті Айгерім!" in message.body
