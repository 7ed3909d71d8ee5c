import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS}))"
)


def start(env: dict[str, str], code: str = PRINT_SETTINGS) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "REDIS_URL",
        )
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "fieldwork.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_refuses_to_start_naming_the_variable():
    result = start({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_key_starts():
    key = "vG4q0bN8-x2LrT7mYc5KpWz1sJd9HfUe3aQoXi6nBgRtZl0yMvCwSkEuPhDj"  # long and random
    result = start({"DEBUG": "false", "SECRET_KEY": key, "ALLOWED_HOSTS": "survey.example"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hosts"] == ["survey.example"]


def test_a_malformed_boolean_is_refused_with_its_name():
    result = start({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_the_embedded_defaults_are_sqlite_and_tasks_in_process():
    values = json.loads(start({}).stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["eager"] is True
    assert values["debug"] is True


def test_the_environment_selects_postgresql_and_a_broker():
    values = json.loads(
        start(
            {
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/fieldwork",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
            }
        ).stdout
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "fieldwork"
    assert values["eager"] is False
