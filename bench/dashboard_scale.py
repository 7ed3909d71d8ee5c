"""The survey dashboard's response time with 10,000 and with 1,000,000 submissions.

One run, one database: the dashboard is timed with 10,000 stored submissions of the
Kazakhstan survey, then 990,000 more are added and it is timed again. The cache is
emptied before every request, so the running median is read from the database each
time (the worst case). Target: ratio at most 1.5.

    .venv/bin/python bench/dashboard_scale.py

Needs the machine's PostgreSQL; uses (and recreates) the database fieldwork_bench_dashboard.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "fieldwork_bench_dashboard"
REQUESTS = 30


def main() -> None:
    os.environ.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{NAME}",
        DJANGO_SETTINGS_MODULE="fieldwork.settings",
    )
    sys.path.insert(0, str(ROOT))
    _recreate_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from respondents.stats import recount
    from surveys.models import Survey

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    user = User.objects.create_superuser("bench", password="bench-password-1")
    client = Client()
    client.force_login(user)

    def timed() -> float:
        samples = []
        for _ in range(REQUESTS):
            cache.clear()
            start = time.perf_counter()
            response = client.get(f"/manage/{survey.slug}/")
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200
        return statistics.median(samples)

    _insert(survey.pk, 0, 10_000)
    recount(survey)
    small = timed()
    print(f"10,000 submissions:    median {small * 1000:7.1f} ms over {REQUESTS} requests")
    for start in range(10_000, 1_000_000, 110_000):
        _insert(survey.pk, start, min(start + 110_000, 1_000_000))
        print(f"  inserted {min(start + 110_000, 1_000_000):,}", flush=True)
    recount(survey)
    large = timed()
    print(f"1,000,000 submissions: median {large * 1000:7.1f} ms over {REQUESTS} requests")
    print(f"ratio (1,000,000 / 10,000): {large / small:.2f}   target <= 1.5")


def _insert(survey_id: int, start: int, stop: int) -> None:
    """Insert completed submissions (and their respondents) with plain SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO respondents_respondent
                (survey_id, token, source, panel_id, preferred_language, known, created)
            SELECT %s, substr(md5('t' || i) || md5('u' || i), 1, 43), 'panel', 'bench-' || i,
                   'ru', '{}'::jsonb, now()
            FROM generate_series(%s, %s - 1) AS i
            """,
            [survey_id, start, stop],
        )
        cursor.execute(
            """
            INSERT INTO respondents_submission
                (respondent_id, survey_id, status, language, answers, pages_done,
                 page_seconds, started, ended, user_agent, ip_hash, verdict, qc_verdict,
                 qc_results, seconds, overridden)
            SELECT r.id, %s, 'completed', 'ru', '{"age": 30, "region": "astana"}'::jsonb,
                   '[]'::jsonb, '{}'::jsonb,
                   timestamp '2024-06-10' + (random() * interval '14 days'),
                   timestamp '2024-06-10' + (random() * interval '14 days'),
                   '', '', CASE WHEN random() < 0.9 THEN 'valid' ELSE 'invalid' END, '',
                   '{}'::jsonb, 200 + random() * 400, false
            FROM respondents_respondent r
            WHERE r.survey_id = %s AND r.panel_id LIKE 'bench-%%'
              AND NOT EXISTS (SELECT 1 FROM respondents_submission s WHERE s.respondent_id = r.id)
            """,
            [survey_id, survey_id],
        )


def _recreate_database() -> None:
    import psycopg2

    connection = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {NAME}")
        cursor.execute(f"CREATE DATABASE {NAME}")
    connection.close()


if __name__ == "__main__":
    main()
