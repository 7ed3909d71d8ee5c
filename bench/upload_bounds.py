"""What uploads cost: a panel file of 200,000 members, and a questionnaire's longest list.

One run, a fresh SQLite database in a temporary directory (the embedded default, where an
administrator is most likely to run `invite`; PostgreSQL with --postgres NAME, recreated
and dropped). The demo is loaded once; each measurement runs in a fresh child process,
which reports its own peak resident set size (getrusage ru_maxrss) and wall time:

- `manage.py invite` (respondents.invitations.panel_file_invite) of a panel
  file of --small members (20,000) and of --rows members (200,000), with region, age and
  gender known: the ratio of the peaks (target at most 1.5: the file is streamed; what
  grows is the set of ids seen, to refuse a repeated one, at most 300 bytes a member)
  and of the seconds per member (target at most 1.3);
- the import of a questionnaire whose one choice list holds --choices choices (2,000,
  limits.MAX_CHOICES_PER_LIST), against the same questionnaire with a list of 20, then
  importing it again with every label changed: statements and seconds (the choices are
  written in bulk, so the statements do not grow with the list).

    .venv/bin/python bench/upload_bounds.py [--rows 200000] [--small 20000] [--choices 2000]
        [--postgres fieldwork_bench_uploads]

The script calls only `manage.py invite` and `survey_import_xlsform`, so the same file run
from an older checkout measures the code before (RESULTS.md has both).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLUG = "gt2024-kazakhstan"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--choices", type=int, default=2000, help="the long list's length")
    parser.add_argument("--postgres", metavar="NAME", help="a PostgreSQL database to use")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child)
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as work:
        work = Path(work)
        environment = _environment(work, args.postgres)
        _run_child(environment, "setup")
        results = {}
        for rows in (args.small, args.rows):
            panel = work / f"panel-{rows}.csv"
            _panel_file(panel, rows)
            results[rows] = _run_child(environment, "invite", str(panel), str(work / "links.csv"))
            print(
                f"invite {rows:>9,} members: {results[rows]['seconds']:7.1f} s, "
                f"peak RSS {results[rows]['peak_mb']:6.0f} MB"
            )
        small, large = results[args.small], results[args.rows]
        per_member = (large["peak_mb"] - small["peak_mb"]) * 1024 * 1024 / (args.rows - args.small)
        print(
            f"peak memory ratio {args.rows:,} / {args.small:,}: "
            f"{large['peak_mb'] / small['peak_mb']:.2f} (target <= 1.5); "
            f"{per_member:.0f} bytes per further member (target <= 300: the ids kept to "
            "refuse a repeated one)"
        )
        per_small = small["seconds"] / args.small
        per_large = large["seconds"] / args.rows
        print(f"seconds per member ratio: {per_large / per_small:.2f} (target <= 1.3)")
        for what in ("choices", "choices-again"):
            imported = _run_child(environment, what, str(work), str(args.choices))
            print(
                f"{what:>13}: 20 choices {imported['small_statements']} statements "
                f"{imported['small_seconds']:.2f} s; {imported['choices']:,} choices "
                f"{imported['large_statements']} statements {imported['large_seconds']:.2f} s"
            )
    if args.postgres:
        _drop(args.postgres)


def _environment(work: Path, postgres: str | None) -> dict:
    # As in production, DEBUG off: with it on, Django keeps every statement it runs.
    environment = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="fieldwork.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="ERROR",
        MEDIA_ROOT=str(work / "media"),
    )
    environment.pop("CELERY_BROKER_URL", None)
    if postgres:
        _drop(postgres)
        _server(f"CREATE DATABASE {postgres}")
        environment["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{postgres}"
    else:
        environment["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    return environment


def _drop(name: str) -> None:
    _server(f"DROP DATABASE IF EXISTS {name}")


def _server(statement: str) -> None:
    import psycopg2

    connection = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def _panel_file(path: Path, rows: int) -> None:
    rng = random.Random(14)
    regions = ["astana", "almaty_city", "shymkent", "karaganda", "east_kazakhstan"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["panel_id", "language", "region", "age", "gender"])
        for number in range(rows):
            writer.writerow(
                [
                    f"bench-{number:07d}",
                    rng.choice(["kk", "ru"]),
                    rng.choice(regions),
                    rng.randint(18, 70),
                    rng.choice(["male", "female"]),
                ]
            )


def _run_child(environment: dict, *arguments: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _child(arguments: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    what = arguments[0]
    started = time.perf_counter()
    result: dict = {}
    if what == "setup":
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0)
    elif what == "invite":
        call_command("invite", SLUG, panel=arguments[1], out=arguments[2], verbosity=0)
    else:
        result = _choices(Path(arguments[1]), int(arguments[2]), again=what == "choices-again")
    result["seconds"] = time.perf_counter() - started
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _choices(work: Path, choices: int, *, again: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys.services import survey_import_xlsform

    result = {"choices": choices}
    for size, name in ((20, "small"), (choices, "large")):
        path = work / f"choices-{size}{'-again' if again else ''}.csv"
        label = "Again" if again else "Choice"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["survey"])
            writer.writerow(["", "type", "name", "label::English (en)"])
            writer.writerow(["", "select_one places", "place", "Where?"])
            writer.writerow(["choices"])
            writer.writerow(["", "list_name", "name", "label::English (en)"])
            for number in range(size):
                writer.writerow(["", "places", f"p{number}", f"{label} {number}"])
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            survey_import_xlsform(path, f"bench-choices-{size}")
        result[f"{name}_seconds"] = time.perf_counter() - started
        result[f"{name}_statements"] = len(queries)
    return result


if __name__ == "__main__":
    main()
