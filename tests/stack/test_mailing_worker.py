"""Sending invitations from a real Celery worker process, killed mid-batch and restarted.

PostgreSQL only (the worker is another process); the SMTP server (aiosmtpd) runs in this
process. The server stalls on one recipient the first time, so that the worker is killed
while that message is claimed but not sent: it must be sent again, once, and every other
member must get their invitation exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection

from mailings import services
from mailings.models import MailingSchedule, Send
from mailings.tasks import sweep
from respondents.panel import PanelMember
from respondents.services import panel_invite
from surveys.models import Survey
from tests.conftest import empty_own_queue
from tests.mailings.conftest import Recorder, smtp_server  # noqa: F401 (a fixture)
from tests.stack.conftest import Worker
from tests.stack.test_fieldwork_pipeline import database_url, restore_broker, use_broker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
STALL = "stall@example.kz"


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker is another process (.ci/run's second pass)")


@pytest.fixture
def broker(broker_url):
    import os

    previous = os.environ.get("CELERY_BROKER_URL")
    empty_own_queue(broker_url)
    use_broker(broker_url)
    yield broker_url
    restore_broker(previous)
    # The sender's retries (tasks with a countdown) stay on the queue once the workers are
    # gone: no later test's worker may take them.
    empty_own_queue(broker_url)


class StallingRecorder(Recorder):
    """Holds the first RCPT TO of STALL until the test is over (the client is dead by then)."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.rcpts: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts.append(address)
        if address == STALL and not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(60)
            return "451 4.4.2 timeout"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def wait_until(condition, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(message)


def test_a_worker_killed_mid_batch_and_restarted_mails_everyone_exactly_once(broker, monkeypatch):
    import socket

    from aiosmtpd.controller import Controller

    recorder = StallingRecorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "120",
        "MAIL_CLAIM_TIMEOUT_SECONDS": "6",
        "DEFAULT_FROM_EMAIL": "survey@fieldwork.example",
        "SITE_URL": "https://survey.example",
    }
    workers = []
    try:
        call_command("load_demo", verbosity=0)
        survey = Survey.objects.get(slug="gt2024-kazakhstan")
        MailingSchedule.objects.create(survey=survey, rate_per_minute=300)
        addresses = [f"m{n:02d}@example.kz" for n in range(20)]
        addresses[7] = STALL
        panel_invite(
            survey,
            [PanelMember(f"kz-{n}", "ru", {}, address, "") for n, address in enumerate(addresses)],
        )
        workers.append(Worker(broker, "mail-1", **env))
        services.invitations_send(survey)  # the task goes to the broker at commit

        if not recorder.stalled.wait(60):
            pytest.fail("the worker never reached the stalling recipient:\n" + workers[0].stop())
        workers[0].stop(signal.SIGKILL)
        stalled = Send.objects.get(respondent__email=STALL)
        assert stalled.state == Send.State.CLAIMED
        before = len(recorder.received)
        assert 5 <= before < 19

        workers.append(Worker(broker, "mail-2", **env))

        def all_sent() -> bool:
            sweep.delay()  # what Celery beat does every minute
            return not Send.objects.exclude(state=Send.State.SENT).exists()

        wait_until(all_sent, 90, "not every invitation was sent after the restart")
    finally:
        for worker in workers:
            worker.stop()
        controller.stop()

    received = sorted(address for r in recorder.received for address in r.recipients)
    assert received == sorted(addresses)  # each exactly once
    stalled.refresh_from_db()
    assert stalled.attempts == 2
    (again,) = recorder.to(STALL)
    assert str(again.message["Message-ID"]).strip() == stalled.message_id
