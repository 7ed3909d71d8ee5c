"""The survey dashboard's response time with 10,000 and with 1,000,000 submissions.

One run, one database: the dashboard is timed with 10,000 stored submissions of the
Kazakhstan survey, then 990,000 more are added and it is timed again. The cache is
emptied before every request, so the running median is read from the database each
time (the worst case). Target: ratio at most 1.5.

    .venv/bin/python bench/dashboard_scale.py

Needs the machine's PostgreSQL; uses (and recreates) the database fieldwork_bench_dashboard.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "fieldwork_bench_dashboard"
REQUESTS = 30


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.submissions import database_recreate, django_setup, submissions_insert

    database_recreate(NAME)
    django_setup(NAME)
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

    submissions_insert(survey.pk, 0, 10_000)
    recount(survey)
    small = timed()
    print(f"10,000 submissions:    median {small * 1000:7.1f} ms over {REQUESTS} requests")
    for start in range(10_000, 1_000_000, 110_000):
        submissions_insert(survey.pk, start, min(start + 110_000, 1_000_000))
        print(f"  inserted {min(start + 110_000, 1_000_000):,}", flush=True)
    recount(survey)
    large = timed()
    print(f"1,000,000 submissions: median {large * 1000:7.1f} ms over {REQUESTS} requests")
    print(f"ratio (1,000,000 / 10,000): {large / small:.2f}   target <= 1.5")


if __name__ == "__main__":
    main()
