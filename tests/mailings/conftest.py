"""A real SMTP server (aiosmtpd) run by the test, and panels to mail."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

from mailings.models import MailingSchedule
from respondents.models import Respondent
from respondents.panel import PanelMember
from respondents.services import panel_invite
from surveys.models import Survey


@dataclass
class Received:
    at: float  # time.monotonic() when the server accepted the message
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_content()


class Recorder:
    """The server's handler: keeps what it accepted; refuses what it is told to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply to RCPT TO
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(
                Received(time.monotonic(), envelope.mail_from, list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.recipients]


@pytest.fixture
def smtp_server():
    """An SMTP server on a free loopback port, in a thread of this process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    recorder.port = port
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings, smtp_server):
    """Django's SMTP backend pointed at the test's server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "Fieldwork <survey@fieldwork.example>"
    settings.SITE_URL = "https://survey.example"
    return smtp_server


@pytest.fixture
def kazakhstan_mailing(kazakhstan) -> Survey:
    """The suite's Kazakhstan edition with a mailing schedule: fast, unless a test is about
    the rate."""
    MailingSchedule.objects.create(survey=kazakhstan, rate_per_minute=6000)
    return kazakhstan


def members(survey: Survey, *rows: tuple) -> list[Respondent]:
    """Invite (panel_id, language, email, name, known) members to `survey`."""
    invited, _created = panel_invite(
        survey,
        [
            PanelMember(panel_id, language, known or {}, address, name)
            for panel_id, language, address, name, known in rows
        ],
    )
    return invited
