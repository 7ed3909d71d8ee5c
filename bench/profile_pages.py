"""What each request of the load benchmark's walk costs, measured in process.

The same walk as bench/load_completion.py (welcome, start, every page shown and saved,
the end), through Django's test client, on PostgreSQL and Redis with DEBUG off and the
benchmark's settings: wall-clock time, SQL statements and Redis commands per kind of
request, and with --cprofile a profile of the timed walks.

    .venv/bin/python bench/profile_pages.py [--walks 40] [--cprofile out.prof]

Uses (drops and recreates) the database fieldwork_profile_pages and empties Redis
databases 7 and 8. Needs the machine's PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "fieldwork_profile_pages"
BROKER = "redis://127.0.0.1:6379/8"
CACHE = "redis://127.0.0.1:6379/7"
PAGE_URL = re.compile(r"^/s/[^/]+/p/(?P<page>[^/]+)/$")
END = re.compile(r'data-end="(?P<status>[a-z_]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--walks", type=int, default=40, help="respondents timed")
    parser.add_argument("--warm", type=int, default=3, help="respondents walked first, untimed")
    parser.add_argument("--cprofile", help="write a cProfile of the timed walks here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="profile-pages-"))
    sys.path.insert(0, str(ROOT))
    from bench.load_setup import configure, fresh_demo

    configure(database=DATABASE, broker=BROKER, cache=CACHE, work=work, allowed_hosts="testserver")
    fresh_demo(DATABASE, BROKER, CACHE)
    from bench.load_completion import prepare_respondents

    scripts = prepare_respondents(args.walks + args.warm)
    walker = _Walker()
    for script in scripts[: args.warm]:
        walker.walk(script)
    walker.reset()
    profile = None
    if args.cprofile:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    ends = collections.Counter(walker.walk(script) for script in scripts[args.warm :])
    elapsed = time.perf_counter() - started
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.cprofile)
    walker.report(args.walks, elapsed, ends)
    shutil.rmtree(work, ignore_errors=True)


class _Walker:
    """Walk respondents as the benchmark's locust users do, counting what each request costs."""

    def __init__(self) -> None:
        import redis
        from django.db import connection

        self.connection = connection
        self.current = "?"
        self.redis_commands: collections.Counter = collections.Counter()
        send = redis.Redis.execute_command
        walker = self

        def counted(client, *args, **kwargs):
            walker.redis_commands[walker.current] += 1
            return send(client, *args, **kwargs)

        redis.Redis.execute_command = counted
        self.reset()

    def reset(self) -> None:
        self.times = collections.defaultdict(list)
        self.statements = collections.defaultdict(list)
        self.redis_commands.clear()

    def send(self, client, method: str, url: str, name: str, **kwargs):
        from django.test.utils import CaptureQueriesContext

        self.current = name
        with CaptureQueriesContext(self.connection) as queries:
            started = time.perf_counter()
            response = client.post(url, **kwargs) if method == "POST" else client.get(url)
            self.times[name].append(time.perf_counter() - started)
        self.statements[name].append(len(queries.captured_queries))
        return response

    def walk(self, script: dict) -> str:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        entry = f"/s/{script['token']}/"
        self.send(client, "GET", entry, "welcome")
        csrf = client.cookies["csrftoken"].value
        data = {"language": script["language"], "csrfmiddlewaretoken": csrf}
        response = self.send(client, "POST", entry, "start", data=data)
        url = response["Location"]
        for _ in range(4 * len(script["pages"]) + 10):
            page = PAGE_URL.match(url)
            if page is None:
                response = self.send(client, "GET", url, "resume")
            else:
                self.send(client, "GET", url, "page")
                posted: dict[str, list[str]] = {"next": ["1"], "csrfmiddlewaretoken": [csrf]}
                for name, value in script["pages"][page["page"]]:
                    posted.setdefault(name, []).append(value)
                response = self.send(client, "POST", url, "page answers", data=posted)
            if response.status_code == 302:
                url = response["Location"]
                continue
            return END.search(response.content.decode())["status"]
        raise RuntimeError("the questionnaire did not end")

    def report(self, walks: int, elapsed: float, ends: collections.Counter) -> None:
        requests = sum(len(times) for times in self.times.values())
        print(f"{walks} walks, {requests} requests in {elapsed:.2f} s: ", end="")
        print(f"{1000 * elapsed / requests:.2f} ms a request; ends {dict(ends)}")
        for name, times in self.times.items():
            ordered = sorted(times)
            print(
                f"  {name:<13} {len(times):>5}  mean {1000 * sum(times) / len(times):6.2f} ms"
                f"  median {1000 * ordered[len(ordered) // 2]:6.2f} ms"
                f"  SQL {sum(self.statements[name]) / len(times):5.2f}"
                f"  Redis {self.redis_commands[name] / len(times):5.2f} a request"
            )


if __name__ == "__main__":
    main()
