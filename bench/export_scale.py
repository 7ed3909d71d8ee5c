"""CSV export of 1,000,000 submissions against PostgreSQL's own COPY, its memory, and .sav.

One run, one database (fieldwork_bench_export, recreated, dropped at the end unless --keep):
the demo is loaded and 300 synthetic respondents of the Kazakhstan edition go through the
real services (simulate_fieldwork, then validation); their valid submissions become the
templates that 100,000 and then 1,000,000 submissions copy, answers, language and quota
cell alike, inserted with plain SQL (bench/submissions.py). At each size it measures:

- the CSV export of the valid submissions (reports.exports.export_build, as the command
  and the worker run it) against `COPY (SELECT the same submissions' columns, answers and
  cells) TO STDOUT WITH CSV` into a file: target ratio at most 3;
- the export's peak memory: each export runs in a fresh child process, which reports its
  own peak resident set size (getrusage ru_maxrss) when done; target ratio of the peaks
  (1,000,000 / 100,000) at most 1.2;
- the SPSS .sav export's time against the CSV's, and its peak memory.

Peak RSS of a child rather than tracemalloc: RSS counts everything the process holds
(the driver's fetch buffers and the C libraries writing xlsx and sav as well as Python
objects), and tracemalloc would slow the export several times over, spoiling the timing.

    .venv/bin/python bench/export_scale.py [--rows 1000000] [--small 100000] [--keep]

Needs the machine's PostgreSQL; ~3 GB of disk while it runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.submissions import (  # noqa: E402
    database_drop,
    database_recreate,
    django_setup,
    submissions_insert,
)

NAME = "fieldwork_bench_export"
SLUG = "gt2024-kazakhstan"
TEMPLATES = 300
BATCH = 150_000

COPY_SQL = """
COPY (
    SELECT s.id, s.status, s.verdict, s.language,
           (SELECT string_agg(c.name, ';' ORDER BY c.name)
            FROM respondents_quotaslot q JOIN surveys_quotacell c ON c.id = q.cell_id
            WHERE q.submission_id = s.id) AS cells,
           s.started, s.ended, s.seconds, s.weight, r.known, s.answers
    FROM respondents_submission s JOIN respondents_respondent r ON r.id = s.respondent_id
    WHERE s.survey_id = {survey} AND s.status = 'completed' AND s.verdict = 'valid'
    ORDER BY s.id
) TO STDOUT WITH CSV HEADER
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(*args.child)
    database_recreate(NAME)
    try:
        _run(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            database_drop(NAME)


def _run(args) -> None:
    django_setup(NAME)
    from django.core.management import call_command
    from django.db import connection

    from respondents.models import Submission
    from respondents.validation import submission_validate
    from surveys.models import Survey

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    survey = Survey.objects.get(slug=SLUG)
    call_command("simulate_fieldwork", SLUG, "--respondents", str(TEMPLATES), "--seed", "1")
    for pk in Submission.objects.filter(survey=survey, status="completed", verdict="pending"):
        submission_validate(pk.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TABLE bench_template AS
            SELECT row_number() OVER (ORDER BY s.id) - 1 AS k, s.answers, r.known, s.language,
                   (SELECT q.cell_id FROM respondents_quotaslot q
                    WHERE q.submission_id = s.id ORDER BY q.id LIMIT 1) AS cell_id
            FROM respondents_submission s JOIN respondents_respondent r ON r.id = s.respondent_id
            WHERE s.survey_id = %s AND s.status = 'completed' AND s.verdict = 'valid'
            """,
            [survey.pk],
        )
        cursor.execute("CREATE UNIQUE INDEX ON bench_template (k)")
    # The simulated submissions served as templates; the measured ones are the copies.
    Submission.objects.filter(survey=survey).delete()
    results = {}
    inserted = 0
    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    for size in (args.small, args.rows):
        while inserted < size:
            stop = min(inserted + BATCH, size)
            submissions_insert(survey.pk, inserted, stop, templates="bench_template")
            inserted = stop
            print(f"  inserted {inserted:,}", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        results[size] = _measure(survey, workdir)
    _report(results, args)
    for path in workdir.iterdir():
        path.unlink()
    workdir.rmdir()


def _measure(survey, workdir: Path) -> dict:
    from django.db import connection

    copy_path = workdir / "copy.csv"
    start = time.perf_counter()
    with copy_path.open("w", encoding="utf-8") as handle, connection.cursor() as cursor:
        cursor.copy_expert(COPY_SQL.format(survey=survey.pk), handle)
    copy_seconds = time.perf_counter() - start
    result = {"copy_seconds": copy_seconds, "copy_bytes": copy_path.stat().st_size}
    for fmt in ("csv", "sav"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", fmt, str(workdir / f"export.{fmt}")],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise SystemExit(f"the {fmt} export failed:\n{out.stderr}")
        child = json.loads(out.stdout.strip().splitlines()[-1])
        result[fmt] = child
        print(
            f"  {fmt}: {child['rows']:,} rows in {child['seconds']:.1f} s, "
            f"peak RSS {child['peak_mb']:.0f} MB",
            flush=True,
        )
    print(f"  COPY: {copy_seconds:.1f} s, {result['copy_bytes'] / 1e6:.0f} MB", flush=True)
    return result


def _child(fmt: str, path: str) -> None:
    """Export once in this fresh process; print time, rows and peak memory as JSON."""
    django_setup(NAME)
    from reports.exports import export_build
    from surveys.models import Survey

    survey = Survey.objects.get(slug=SLUG)
    start = time.perf_counter()
    rows = export_build(survey, fmt, path)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def _report(results: dict, args) -> None:
    small, large = results[args.small], results[args.rows]
    print()
    print(
        "| submissions | valid rows | COPY s | CSV s | CSV/COPY | CSV peak MB "
        "| .sav s | .sav/CSV | .sav peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size, r in results.items():
        print(
            f"| {size:,} | {r['csv']['rows']:,} | {r['copy_seconds']:.1f} | "
            f"{r['csv']['seconds']:.1f} | {r['csv']['seconds'] / r['copy_seconds']:.2f} | "
            f"{r['csv']['peak_mb']:.0f} | {r['sav']['seconds']:.1f} | "
            f"{r['sav']['seconds'] / r['csv']['seconds']:.2f} | {r['sav']['peak_mb']:.0f} |"
        )
    print()
    ratio = large["csv"]["seconds"] / large["copy_seconds"]
    memory = large["csv"]["peak_mb"] / small["csv"]["peak_mb"]
    print(f"CSV export / COPY at {args.rows:,}: {ratio:.2f}   target <= 3")
    print(f"CSV peak memory {args.rows:,} / {args.small:,}: {memory:.2f}   target <= 1.2")
    sav_memory = large["sav"]["peak_mb"] / small["sav"]["peak_mb"]
    print(f".sav peak memory {args.rows:,} / {args.small:,}: {sav_memory:.2f}   (no target)")


if __name__ == "__main__":
    main()
