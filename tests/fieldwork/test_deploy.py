"""Production settings: `check --deploy`, the secret, HTTPS, CSP, logging and /health/."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from surveys.models import Survey
from tests.respondents.conftest import invite

ROOT = Path(__file__).resolve().parents[2]
# The production environment the README documents (with a made-up host and key).
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "vG4q0bN8-x2LrT7mYc5KpWz1sJd9HfUe3aQoXi6nBgRtZl0yMvCwSkEuPhDj",
    "ALLOWED_HOSTS": "survey.example",
    "CSRF_TRUSTED_ORIGINS": "https://survey.example",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "DATABASE_URL": "postgres://fieldwork:secret@db.internal:5432/fieldwork",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "REDIS_URL": "redis://redis.internal:6379/1",
}
OWN_VARIABLES = (
    *PRODUCTION,
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LOG_FORMAT",
    # Set by the browser tests' conftest for Playwright; never in a deployment.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run Python in a fresh process with only `env` of the project's own variables."""
    clean = {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "fieldwork.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def test_check_deploy_reports_no_warning_under_the_documented_production_environment():
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_no_security_check_is_silenced_in_production():
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.SILENCED_SYSTEM_CHECKS))"
    )
    result = run(["-c", code], PRODUCTION)
    assert result.returncode == 0, result.stderr
    silenced = json.loads(result.stdout)
    assert [check for check in silenced if check.startswith(("security.", "csp."))] == []


def test_check_deploy_names_what_a_weaker_environment_misses():
    result = check_deploy(
        {**PRODUCTION, "SECURE_SSL_REDIRECT": "false"} | {"SECURE_HSTS_SECONDS": "0"}
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr  # no redirect to HTTPS
    assert "security.W004" in result.stderr  # no HSTS


def test_check_deploy_warns_when_production_has_no_shared_cache_for_the_rate_limits():
    without_redis = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = check_deploy(without_redis)
    assert result.returncode != 0
    assert "fieldwork.W001" in result.stderr
    assert "REDIS_URL is not set" in result.stderr
    # A warning, not django-ratelimit's error: the deployment's commands still run.
    plain = run(["manage.py", "check"], without_redis)
    assert plain.returncode == 0, plain.stderr
    assert "django_ratelimit.E003" not in plain.stdout + plain.stderr


def test_the_embedded_default_does_not_warn_of_its_own_memory_cache():
    result = check_deploy({"DEBUG": "true"})
    assert "fieldwork.W001" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "too-short-but-random-Q8f2",
        "x" * 60,
        "django-insecure-" + "k3J9qLm2Vx7Rt5Pw8Ys1Bn4Hc6Df0Ga2Ze",
    ],
)
def test_production_refuses_a_weak_secret_key(key):
    result = run(["manage.py", "check"], {**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_is_https_only_by_default():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS]))"
    )
    result = run(["-c", code], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        True,
        True,
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        31536000,
    ]


def test_production_logs_json_lines_with_the_request_id():
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/health/', HTTP_HOST='survey.example', "
        "HTTP_X_REQUEST_ID='proxy-id-1234'); print('STATUS', r.status_code, r['X-Request-ID'])"
    )
    broker = f"redis://127.0.0.1:{closed_port()}/0"
    env = {
        **PRODUCTION,
        "DATABASE_URL": "sqlite:///:memory:",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": "",
    }
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "STATUS 503 proxy-id-1234"
    record = json.loads(next(line for line in lines if "health check broker failed" in line))
    assert record["level"] == "WARNING"
    assert record["logger"] == "fieldwork.health"
    assert record["request_id"] == "proxy-id-1234"
    assert record["time"]


@pytest.mark.django_db
def test_a_request_without_a_usable_id_gets_a_fresh_one(client):
    response = client.get("/health/", HTTP_X_REQUEST_ID="bad id\nwith a line break")
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != client.get("/health/")["X-Request-ID"]


@pytest.mark.django_db
def test_health_is_200_with_each_check_when_all_is_reachable(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_is_503_naming_the_broker_when_it_is_unreachable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["detail"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True


def test_health_is_503_naming_the_database_when_it_is_unreachable():
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/health/'); print(r.status_code); print(r.content.decode())"
    )
    database = f"postgres://postgres@127.0.0.1:{closed_port()}/fieldwork"
    result = run(["-c", code], {"DATABASE_URL": database, "ALLOWED_HOSTS": "testserver"})
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    checks = json.loads(body)["checks"]
    assert checks["database"] == {
        "ok": False,
        "detail": "OperationalError",
        "ms": checks["database"]["ms"],
    }
    assert checks["cache"]["ok"] is True


@pytest.mark.django_db
def test_health_answers_plain_http_while_other_pages_redirect_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/health/").status_code == 200
    response = client.get("/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_respondent_pages_carry_a_policy_without_inline_scripts(client):
    call_command("load_demo")
    respondent = invite(Survey.objects.get(slug="gt2024-kazakhstan"), "csp-1", age=30)
    welcome = client.get(f"/s/{respondent.token}/")
    page = client.post(f"/s/{respondent.token}/", {"language": "ru"}, follow=True)
    for response in (welcome, page):
        assert response.status_code == 200
        rules = policy(response)
        assert rules["script-src"] == ["'self'"]
        assert rules["default-src"] == ["'self'"]
        assert "'unsafe-inline'" not in rules["style-src"]
        assert rules["frame-ancestors"] == ["'none'"]
    assert b'id="page-form"' in page.content


@pytest.mark.django_db
def test_the_dashboard_carries_the_policy(client):
    call_command("load_demo")
    admin = User.objects.create_superuser("boss", password="a-long-password-9")
    client.force_login(admin)
    response = client.get("/manage/gt2024-kazakhstan/")
    assert response.status_code == 200
    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["connect-src"] == ["'self'"]


TEMPLATES = ROOT / "templates"


def test_no_template_has_an_inline_script_or_event_handler():
    """Every <script> loads a file (or is a json_script data block), no on...= attributes."""
    import re

    offenders = []
    for path in [*TEMPLATES.rglob("*.html"), *ROOT.glob("*/templates/**/*.html")]:
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=", text, flags=re.IGNORECASE):
            offenders.append(f"{path.relative_to(ROOT)}: {handler.strip()}")
        if "javascript:" in text.lower():
            offenders.append(f"{path.relative_to(ROOT)}: javascript: URL")
    assert offenders == []


def test_production_serves_hashed_static_files_with_a_long_cache(tmp_path):
    static_root = tmp_path / "static"
    env = {
        **PRODUCTION,
        "DATABASE_URL": "sqlite:///:memory:",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "STATIC_ROOT": str(static_root),
    }
    # The project's own files only: compressing the admin's and the API pages' takes a minute.
    skip = ["-i", "admin", "-i", "rest_framework", "-i", "drf_spectacular_sidecar"]
    collected = run(["manage.py", "collectstatic", "--no-input", "-v", "0", *skip], env)
    assert collected.returncode == 0, collected.stderr
    code = (
        "import re, django; django.setup(); from django.test import Client; "
        "c = Client(); "
        "page = c.get('/accounts/login/', HTTP_HOST='survey.example', secure=True); "
        "css = re.search(r'href=\"(/static/vendor/bootstrap/bootstrap\\.min\\.\\w+\\.css)\"', "
        "page.content.decode()).group(1); "
        "r = c.get(css, HTTP_HOST='survey.example', secure=True, HTTP_ACCEPT_ENCODING='gzip'); "
        "print('|'.join(map(str, [page.status_code, css, r.status_code, "
        "r['Cache-Control'], r['Content-Encoding']])))"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    status, css, css_status, cache_control, encoding = result.stdout.strip().split("|")
    assert status == "200"
    assert css != "/static/vendor/bootstrap/bootstrap.min.css"  # the hashed name
    assert css_status == "200"
    assert "immutable" in cache_control and "max-age=315360000" in cache_control
    assert encoding == "gzip"
