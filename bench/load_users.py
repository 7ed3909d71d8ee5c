"""Locust users of bench/load_completion.py (run by it; not on its own).

CompletionUser walks one invited panel member after another through the respondent's
pages over HTTP, as a browser does: the link's welcome page, the language choice, then
each page (GET, then POST with the answers prepared for it), following the server's
redirects to the end page. BaselineUser posts to the bench-only view that inserts a row.

BENCH_SCRIPTS names the JSON file of respondents (token, language, answers per page);
BENCH_COUNTS the file this writes the client-side counts to when the run stops.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from locust import HttpUser, constant, events, task
from locust.exception import StopUser

SCRIPTS = json.loads(Path(os.environ["BENCH_SCRIPTS"]).read_text(encoding="utf-8"))
_next_script = iter(SCRIPTS)
PAGE_URL = re.compile(r"^/s/[^/]+/p/(?P<page>[^/]+)/$")
END = re.compile(r'data-end="(?P<status>[a-z_]+)"')
COUNTS = {"completed": 0, "ended_otherwise": 0, "broken": 0, "walks_started": 0}
TIMES: dict[str, float] = {}


class Broken(Exception):
    """A respondent's walk went wrong (its request was already marked as failed)."""


@events.test_start.add_listener
def _started(**_kwargs) -> None:
    TIMES["start"] = time.time()


@events.test_stop.add_listener
def _stopped(environment, **_kwargs) -> None:
    """Write the client's counts and the request statistics, once every user stopped."""
    TIMES["stop"] = time.time()
    total = environment.stats.total
    stats = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "median_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "by_name": {
            name: [entry.num_requests, entry.get_response_time_percentile(0.95)]
            for (name, _method), entry in environment.stats.entries.items()
        },
        "errors": [str(error.error) for error in environment.stats.errors.values()],
    }
    with open(os.environ["BENCH_COUNTS"], "w", encoding="utf-8") as handle:
        json.dump({**COUNTS, **TIMES, "stats": stats}, handle)


class CompletionUser(HttpUser):
    wait_time = constant(0)

    def _fail(self, name: str, message: str):
        """Count a failed walk that no single response showed, then give it up."""
        self.environment.events.request.fire(
            request_type="FLOW",
            name=name,
            response_time=0,
            response_length=0,
            exception=RuntimeError(message),
            context={},
        )
        raise Broken

    def _send(self, method: str, url: str, name: str, expect: tuple[int, ...], **kwargs):
        with self.client.request(
            method, url, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code not in expect:
                response.failure(f"{method} {name}: {response.status_code}, expected {expect}")
                raise Broken
            response.success()
            return response

    @task
    def complete_one_respondent(self) -> None:
        try:
            script = next(_next_script)
        except StopIteration:
            raise StopUser() from None  # every invited member has been sent
        COUNTS["walks_started"] += 1
        try:
            status = self._walk(script)
        except Broken:
            COUNTS["broken"] += 1
            return
        COUNTS["completed" if status == "completed" else "ended_otherwise"] += 1

    def _walk(self, script: dict) -> str:
        self.client.cookies.clear()
        entry = f"/s/{script['token']}/"
        self._send("GET", entry, "welcome", (200,))
        csrf = self.client.cookies.get("csrftoken", "")
        response = self._send(
            "POST",
            entry,
            "start",
            (302,),
            data={"language": script["language"], "csrfmiddlewaretoken": csrf},
        )
        url = response.headers["Location"]
        for _ in range(4 * len(script["pages"]) + 10):
            page = PAGE_URL.match(url)
            if page is None:  # the resume address: on to the next page, or the end
                response = self._send("GET", url, "resume", (200, 302))
            else:
                answers = script["pages"].get(page["page"])
                if answers is None:
                    self._fail("unexpected page", f"no answers prepared for {page['page']}")
                self._send("GET", url, "page", (200,))
                data = [*answers, ("next", "1"), ("csrfmiddlewaretoken", csrf)]
                response = self._send("POST", url, "page answers", (200, 302), data=data)
            if response.status_code == 302:
                url = response.headers["Location"]
                continue
            end = END.search(response.text)
            if end is None:  # a page sent back with errors: the answers were refused
                self._fail("answers refused", f"the answers were refused at {url}")
            return end["status"]
        self._fail("no end", "the questionnaire did not end")


class BaselineUser(HttpUser):
    wait_time = constant(0)

    @task
    def insert_one_row(self) -> None:
        with self.client.post(
            "/bench/insert/", name="baseline insert", catch_response=True
        ) as response:
            if response.status_code != 200 or response.text != "ok":
                response.failure(f"baseline: {response.status_code}")
            else:
                COUNTS["completed"] += 1
