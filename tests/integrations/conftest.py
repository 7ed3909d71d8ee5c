"""A fake panel provider and a real HTTP receiver, written from the README's description."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client

from integrations.models import Provider, Webhook
from respondents.models import Respondent
from surveys.models import Survey
from surveys.questionnaire import questionnaire_of
from tests.respondents.conftest import default_answer

SECRET = "shared-with-the-provider-0123456789"


class FakeProvider:
    """What a sample provider's own code does: sign entry links, check exit links.

    Deliberately not using integrations.signing: it follows the documented rule.
    """

    def __init__(self, provider: Provider, secret: str = SECRET) -> None:
        self.provider = provider
        self.secret = secret

    def sign(self, path: str, query: str) -> str:
        message = f"{path}?{query}" if query else path
        return hmac.new(self.secret.encode(), message.encode(), hashlib.sha256).hexdigest()

    def entry(self, signed: bool = True, **params) -> str:
        path = f"/p/{self.provider.survey.slug}/{self.provider.slug}/"
        query = urlencode(params)
        if not signed:
            return f"{path}?{query}"
        return f"{path}?{query}&sig={self.sign(path, query)}"

    def check_exit(self, url: str) -> dict[str, str]:
        """Return the exit link's parameters, failing the test when its signature is wrong."""
        parts = urlsplit(url)
        kept = [p for p in parts.query.split("&") if not p.startswith("sig=")]
        sigs = [p[4:] for p in parts.query.split("&") if p.startswith("sig=")]
        assert len(sigs) == 1, f"no signature on {url}"
        assert hmac.compare_digest(sigs[0], self.sign(parts.path, "&".join(kept))), url
        return dict(parse_qsl("&".join(kept)))


@pytest.fixture
def acme(kazakhstan) -> Provider:
    return Provider.objects.create(
        survey=kazakhstan,
        name="Acme Panels",
        slug="acme",
        prefill={"city": "region", "age": "age"},
        complete_url="https://panel.example/back?status=complete&rid={pid}&s={survey}",
        screened_out_url="https://panel.example/back?status=screenout&rid={pid}",
        over_quota_url="https://panel.example/back?status=quotafull&rid={pid}",
        quality_terminated_url="https://panel.example/back?status=quality&rid={pid}",
        secret=SECRET,
    )


@pytest.fixture
def fake(acme) -> FakeProvider:
    return FakeProvider(acme)


class Walker:
    """Follow one respondent through the survey with the test client, like a browser.

    Redirects within the site are followed; a redirect to another site (the provider)
    stops the walk, and its address is `exit`.
    """

    def __init__(self, client: Client | None = None) -> None:
        self.client = client or Client()
        self.url = ""
        self.exit: str | None = None
        self.ended = False

    def go(self, response):
        self.ended = False
        while response.status_code == 302:
            if not response.url.startswith("/"):
                self.exit = response.url
                return response
            self.url = response.url
            response = self.client.get(response.url)
        # The answer to the last form: a page that moves on to the provider by itself.
        exit_page = re.search(rb'data-exit="([^"]+)"', response.content)
        if exit_page:
            self.exit = html.unescape(exit_page.group(1).decode())
            assert f'content="0;url={exit_page.group(1).decode()}"' in response.content.decode()
            return response
        # The survey's own end page (no provider, or no exit URL for this outcome).
        self.ended = b'data-end="' in response.content
        return response

    def get(self, url: str):
        self.url = url
        return self.go(self.client.get(url))

    def post(self, url: str, data: dict):
        self.url = url
        return self.go(self.client.post(url, data))

    @property
    def token(self) -> str:
        return self.url.split("/")[2]

    @property
    def page(self) -> str | None:
        parts = self.url.strip("/").split("/")
        return parts[3] if len(parts) >= 4 and parts[2] == "p" else None

    def answer_page(self, survey: Survey, **answers):
        """Answer the current page (defaults where `answers` says nothing) and go on."""
        page = questionnaire_of(survey).page(self.page)
        # What the provider pre-filled shows as the initial answer: a person keeps it.
        known = Respondent.objects.get(token=self.token).known
        answers = {**known, **answers}
        data: dict = {"next": "1"}
        for question in page.questions:
            for name in question.answer_names:
                value = answers[name] if name in answers else default_answer(question)
                if value is not None:
                    data[name] = value
        return self.post(self.url, data)

    def answer_all(self, survey: Survey, **answers):
        """Answer page after page until the questionnaire ends."""
        for _ in range(30):
            if self.exit or self.ended or self.page is None:
                return
            self.answer_page(survey, **answers)
        raise AssertionError("the questionnaire did not end")


class Receiver:
    """A real HTTP server on 127.0.0.1 answering with the given status codes in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "at": time.monotonic()}
                )
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json(self, index: int = -1) -> dict:
        return json.loads(self.requests[index]["body"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses: int) -> Receiver:
        made.append(Receiver(list(statuses) or [200]))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def webhook_settings(settings, eager_tasks):
    """Fast retries, and tasks in process even when a broker is configured."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_MAX_ATTEMPTS = 6
    return settings


def make_webhook(survey, url, **events) -> Webhook:
    return Webhook.objects.create(survey=survey, url=url, secret="hook-secret-42", **events)
