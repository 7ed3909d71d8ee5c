"""Load benchmark: panel members completing the Kazakhstan survey over HTTP, with locust.

One run, one server: gunicorn (DEBUG off, the production settings plus one bench-only URL)
and a Celery worker, on the machine's PostgreSQL and Redis, all on loopback. Two phases of
the same length against that server, each with the same number of locust users:

1. baseline: each user posts to a minimal Django view that inserts one row;
2. completion: each user takes an invited panel member and walks their link: welcome,
   language choice, every page (GET, then POST with valid answers), the end page.

Reported: requests per second of both (and their ratio; target >= 0.5), completes per
second, error rate, the 95th percentile of page time, and whether the database holds
exactly as many completed submissions as the users saw end pages saying so.

    .venv/bin/python bench/load_completion.py [--users 8] [--seconds 30] [--web-workers 3]

Uses (drops and recreates) the database fieldwork_bench_load and empties Redis databases
9 and 10. Needs the machine's PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "fieldwork_bench_load"
BROKER = "redis://127.0.0.1:6379/9"
CACHE = "redis://127.0.0.1:6379/10"
SURVEY = "gt2024-kazakhstan"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8, help="concurrent locust users")
    parser.add_argument("--seconds", type=int, default=30, help="length of each phase")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument(
        "--respondents",
        type=int,
        default=1200,
        help="panel members invited (more than the phase can finish: see prepare_respondents)",
    )
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    sys.path.insert(0, str(ROOT))
    from bench.load_setup import configure, fresh_demo

    configure(
        database=DATABASE,
        broker=BROKER,
        cache=CACHE,
        work=work,
        allowed_hosts="127.0.0.1",
        WEB_BIND=f"127.0.0.1:{args.port}",
        WEB_CONCURRENCY=str(args.web_workers),
    )
    fresh_demo(DATABASE, BROKER, CACHE)
    _create_baseline_table()
    scripts = work / "respondents.json"
    print(f"inviting {args.respondents} panel members and preparing their answers ...")
    scripts.write_text(json.dumps(prepare_respondents(args.respondents)), encoding="utf-8")
    from django.db import connections

    connections.close_all()

    server = _start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "fieldwork.wsgi",
            "--config",
            "python:fieldwork.gunicorn_config",
        ],
        work / "gunicorn.log",
    )
    worker = _start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "fieldwork",
            "worker",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        work / "worker.log",
    )
    host = f"http://127.0.0.1:{args.port}"
    try:
        _wait_healthy(host, server)
        baseline = run_phase("BaselineUser", host, args, scripts, work)
        completion = run_phase("CompletionUser", host, args, scripts, work)
        submissions = _count_submissions()
    finally:
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    shutil.rmtree(work / "static", ignore_errors=True)
    report(args, baseline, completion, submissions, work)


def prepare_respondents(count: int) -> list[dict]:
    """Invite `count` panel members; return each one's token, language and page answers.

    Regions are spread over the quota cells in proportion to their targets, ages are
    eligible, and the answers are those of simulation's careful respondent, checked by
    the page form exactly as the server will check them.

    The panel must outlast the phase: walks are 17 requests, so 400 members cap a 30 s
    phase at ~227 requests a second however fast the server is, and the survey's 813
    places at ~460. When more members are invited than the cells hold, every cell's target
    and the sample target are multiplied until they fit: the same cells and the same walk,
    only larger, so no hard cell fills and the survey does not close during the run.
    """
    from django.db.models import F
    from django.utils.datastructures import MultiValueDict

    from respondents import flow
    from respondents.forms import PageForm
    from respondents.panel import PanelMember
    from respondents.services import panel_invite
    from respondents.simulation import CELL_CONDITION, _Answerer, load_distributions
    from surveys.models import Survey
    from surveys.questionnaire import questionnaire_of
    from surveys.quotas import allocate_largest_remainder

    survey = Survey.objects.get(slug=SURVEY)
    rng = random.Random(2024)
    cells = {}
    for cell in survey.quota_cells.all():
        match = CELL_CONDITION.match(cell.condition)
        if match and match["variable"] == "region":
            cells[match["value"]] = cell.target
    if count > sum(cells.values()):
        larger = math.ceil(count / sum(cells.values()))
        survey.quota_cells.update(target=F("target") * larger)
        Survey.objects.filter(pk=survey.pk).update(sample_target=F("sample_target") * larger)
        cells = {region: target * larger for region, target in cells.items()}
        print(f"quota targets multiplied by {larger} so that {count} members fit")
    regions = [
        region
        for region, seats in allocate_largest_remainder(count, cells).items()
        for _ in range(seats)
    ]
    rng.shuffle(regions)
    distributions = load_distributions(survey)
    questionnaire = questionnaire_of(survey)
    members = [
        PanelMember(
            f"load-{number:05d}",
            rng.choice(survey.languages),
            {
                "region": region,
                "age": rng.randint(18, 70),
                "gender": rng.choice(["male", "female"]),
            },
        )
        for number, region in enumerate(regions)
    ]
    respondents, _ = panel_invite(survey, members)
    prepared = []
    for respondent in respondents:
        known = respondent.known
        language = respondent.preferred_language
        answerer = _Answerer(rng, distributions, "good", known)
        answers: dict = {}
        done: list[str] = []
        pages: dict[str, list[tuple[str, str]]] = {}
        # The answers are prepared without a database, walking as `submission_save_page`
        # does, so that the load itself measures only the server.
        while (page := flow.Walk.of(questionnaire, answers, known).resume(done)) is not None:
            data: MultiValueDict = answerer.page(page, answers, known)
            form = PageForm(page, language, answers, known, data, questionnaire=questionnaire)
            if not form.is_valid():
                raise RuntimeError(f"prepared answers refused on {page.name}: {form.errors}")
            kept = {k: v for k, v in answers.items() if k not in page.answer_names}
            answers = flow.discard_hidden(questionnaire, {**kept, **form.page_answers}, known)
            shown = flow.Walk.of(questionnaire, answers, known).names
            done = [name for name in done if name in shown] + [page.name]
            pages[page.name] = [(k, v) for k in data for v in data.getlist(k)]
        prepared.append({"token": respondent.token, "language": language, "pages": pages})
    return prepared


def run_phase(user_class: str, host: str, args, scripts: Path, work: Path) -> dict:
    """Run locust headless for one user class; return its figures."""
    counts = work / f"{user_class}-counts.json"
    print(f"{user_class}: {args.users} users for {args.seconds} s ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "load_users.py"),
            "--headless",
            "--only-summary",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.users),
            "--run-time",
            f"{args.seconds}s",
            # A walk under way when the time is up is finished, not cut: a submission
            # completed on the server would otherwise be missing from the client's count.
            "--stop-timeout",
            "120",
            "--host",
            host,
            "--loglevel",
            "WARNING",
            user_class,
        ],
        cwd=ROOT,
        env={**os.environ, "BENCH_SCRIPTS": str(scripts), "BENCH_COUNTS": str(counts)},
        check=False,
    )
    client = json.loads(counts.read_text())
    stats = client.pop("stats")
    seconds = client["stop"] - client["start"]
    return {
        "seconds": seconds,
        "requests": stats["requests"],
        "failures": stats["failures"],
        "requests_per_second": stats["requests"] / seconds,
        "p95_ms": stats["p95_ms"],
        "median_ms": stats["median_ms"],
        "by_name": stats["by_name"],
        "errors": stats["errors"],
        "client": client,
    }


def report(args, baseline: dict, completion: dict, submissions: dict, work: Path) -> None:
    ratio = completion["requests_per_second"] / baseline["requests_per_second"]
    completed_client = completion["client"]["completed"]
    errors = completion["failures"] + baseline["failures"]
    requests = completion["requests"] + baseline["requests"]
    lost = submissions["completed"] - completed_client
    print()
    print(f"users {args.users}, {args.seconds} s a phase, gunicorn workers {args.web_workers}")
    print(
        f"baseline (insert one row): {baseline['requests_per_second']:.1f} requests/s, "
        f"p95 {baseline['p95_ms']:.0f} ms, failures {baseline['failures']}"
    )
    print(
        f"completion path:           {completion['requests_per_second']:.1f} requests/s, "
        f"p95 page time {completion['p95_ms']:.0f} ms (median {completion['median_ms']:.0f}), "
        f"failures {completion['failures']}"
    )
    for name, (count, p95) in sorted(completion["by_name"].items()):
        print(f"    {name:<14} {count:>6} requests, p95 {p95:.0f} ms")
    print(
        f"completes: {completed_client} seen by the users in {completion['seconds']:.1f} s = "
        f"{completed_client / completion['seconds']:.2f}/s "
        f"({completion['client']['ended_otherwise']} ended otherwise, "
        f"{completion['client']['broken']} broken walks)"
    )
    print(
        f"database: {submissions['completed']} completed submissions, "
        f"{submissions['open']} still open, {submissions['validated']} validated by the worker"
    )
    print(f"error rate: {errors}/{requests} = {errors / max(requests, 1):.4%}")
    for error in baseline["errors"] + completion["errors"]:
        print(f"    {error}")
    print(f"lost or extra submissions: {lost}")
    print(f"ratio completion/baseline requests per second: {ratio:.2f} (target >= 0.5)")
    print(f"server and worker logs in {work}")
    met = ratio >= 0.5 and errors == 0 and lost == 0
    print("TARGET MET" if met else "TARGET NOT MET")


def _count_submissions(wait_seconds: float = 60) -> dict:
    """Count completed submissions; give the worker a moment to validate them all."""
    from django.db import connections

    from respondents.models import Submission, Verdict

    connections.close_all()
    survey_submissions = Submission.objects.filter(survey__slug=SURVEY)
    completed = survey_submissions.filter(status=Submission.Status.COMPLETED)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and completed.filter(verdict=Verdict.PENDING).exists():
        time.sleep(1)
    return {
        "completed": completed.count(),
        "open": survey_submissions.filter(status=Submission.Status.IN_PROGRESS).count(),
        "validated": completed.exclude(verdict=Verdict.PENDING).count(),
    }


def _create_baseline_table() -> None:
    from django.db import connection

    from bench.load_urls import BASELINE_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BASELINE_TABLE} "
            "(id bigserial PRIMARY KEY, created timestamptz NOT NULL)"
        )


def _start(command: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=ROOT, env=os.environ.copy(), stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _wait_healthy(host: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited at start; see its log")
        try:
            with urllib.request.urlopen(f"{host}/health/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not become healthy within 60 seconds")


if __name__ == "__main__":
    main()
