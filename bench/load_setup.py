"""What the load benchmark and the page profile share: the server's environment, and a
fresh database holding the demo (bench/load_completion.py, bench/profile_pages.py)."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def configure(
    *, database: str, broker: str, cache: str, work: Path, allowed_hosts: str, **more: str
) -> None:
    """Set the environment of the benchmark's Django: production settings on loopback."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.load_settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=allowed_hosts,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        CELERY_BROKER_URL=broker,
        REDIS_URL=cache,
        # Plain HTTP on loopback: no redirect to HTTPS, cookies sent over http.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(work / "static"),
        LOG_LEVEL="WARNING",
        # Every simulated respondent comes from 127.0.0.1: the per-address limit (meant
        # for one person or one NAT) would answer 429s. It stays on, counting, just higher.
        RATE_LIMIT_RESPONDENT_IP="1000000/m",
        **more,
    )


def fresh_demo(database: str, *redis_urls: str) -> None:
    """Recreate `database`, empty the Redis databases, migrate, collect static, load the demo."""
    import psycopg2

    server = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1", port=5432)
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {database}")
    server.close()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    for url in redis_urls:
        redis.Redis.from_url(url).flushdb()
    call_command("migrate", verbosity=0)
    # The respondent's pages use the project's own files only; compressing the admin's and
    # the API pages' bundles would add a minute.
    call_command(
        "collectstatic",
        interactive=False,
        verbosity=0,
        ignore_patterns=["admin", "rest_framework", "drf_spectacular_sidecar"],
    )
    call_command("load_demo", reset=True, verbosity=0)
