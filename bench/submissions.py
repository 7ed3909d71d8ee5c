"""Many submissions in a benchmark database, fast: plain SQL over generate_series.

Shared by the benchmarks that need a survey with a million submissions. Run only from a
benchmark, against its own database (which `database_recreate` drops and creates).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432"


def django_setup(name: str) -> None:
    """Point Django at benchmark database `name` and set it up."""
    os.environ.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        DJANGO_SETTINGS_MODULE="fieldwork.settings",
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def database_recreate(name: str) -> None:
    """Drop benchmark database `name` if it exists and create it empty."""
    _server_execute(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")


def database_drop(name: str) -> None:
    _server_execute(f"DROP DATABASE IF EXISTS {name}")


def _server_execute(*statements: str) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{SERVER}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


# The template every submission copies when no table of templates is given.
DEFAULT_TEMPLATE = """(VALUES (0, '{"age": 30, "region": "astana"}'::jsonb, '{}'::jsonb,
                               'ru', NULL::bigint)) AS t (k, answers, known, language, cell_id)"""


def submissions_insert(
    survey_id: int, start: int, stop: int, *, templates: str | None = None
) -> None:
    """Insert completed submissions number `start` to `stop` - 1, with their respondents.

    Without `templates`, every submission answers only age and region. With it, the name of
    a table (k, answers, known, language, cell_id) numbered 0..n-1: submission i copies
    template i mod n, answers, language and quota cell (a confirmed slot) alike.
    """
    from django.db import connection

    source = f"{templates} AS t" if templates else DEFAULT_TEMPLATE
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {source}")
        (count,) = cursor.fetchone()
        cursor.execute(
            f"""
            INSERT INTO respondents_respondent
                (survey_id, token, source, panel_id, preferred_language, known, created)
            SELECT %s, substr(md5('t' || i) || md5('u' || i), 1, 43), 'panel', 'bench-' || i,
                   t.language, t.known, now()
            FROM generate_series(%s, %s - 1) AS i JOIN {source} ON t.k = mod(i, %s)
            """,
            [survey_id, start, stop, count],
        )
        numbered = f"""
            (SELECT r.id, substr(r.panel_id, 7)::int AS n FROM respondents_respondent r
             WHERE r.survey_id = %s AND r.panel_id LIKE 'bench-%%') AS r
            JOIN {source} ON t.k = mod(r.n, %s)
        """
        cursor.execute(
            f"""
            INSERT INTO respondents_submission
                (respondent_id, survey_id, status, language, answers, pages_done,
                 page_seconds, started, ended, user_agent, ip_hash, verdict, qc_verdict,
                 qc_results, seconds, overridden)
            SELECT r.id, %s, 'completed', t.language, t.answers, '[]'::jsonb, '{{}}'::jsonb,
                   timestamp '2024-06-10' + (random() * interval '14 days'),
                   timestamp '2024-06-10' + (random() * interval '14 days'),
                   '', '', CASE WHEN random() < 0.9 THEN 'valid' ELSE 'invalid' END, '',
                   '{{}}'::jsonb, 200 + random() * 400, false
            FROM {numbered}
            WHERE r.n >= %s AND r.n < %s
            """,
            [survey_id, survey_id, count, start, stop],
        )
        cursor.execute(
            f"""
            INSERT INTO respondents_quotaslot (submission_id, cell_id, state, created, updated)
            SELECT s.id, t.cell_id, 'confirmed', now(), now()
            FROM {numbered} JOIN respondents_submission s ON s.respondent_id = r.id
            WHERE r.n >= %s AND r.n < %s AND t.cell_id IS NOT NULL
            """,
            [survey_id, count, start, stop],
        )
