import csv
import os
from pathlib import Path

import pytest
from django.apps import apps

# Real XLSForms written by others (pyxform test data, BSD 2-clause; see its README).
SHARED_FORMS = Path(__file__).resolve().parent / "data" / "xlsforms"


def need_service(name: str, reason: str) -> None:
    """Skip a test whose service is missing, except in CI where it must be there."""
    message = f"{name} is not available: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so the service is required)")
    pytest.skip(message)


def redis_url_for_tests() -> str:
    """The Redis database the tests may empty when REDIS_URL is unset (TEST_REDIS_URL)."""
    return os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


def broker_url_for_tests() -> str:
    """A second Redis database, a broker no session-wide worker listens on (TEST_BROKER_URL)."""
    return os.environ.get("TEST_BROKER_URL") or "redis://127.0.0.1:6379/5"


def table_counts() -> dict[str, list[dict]]:
    """Return every row of every model of the project's apps, to compare before and after."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in ("surveys", "respondents", "reports", "audit")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def make_form(tmp_path):
    """Write an XLSForm in pyxform's CSV layout and return its path.

    `survey` and `choices` are lists of dicts (one per row); `settings` one dict.
    """

    def write(survey, choices=(), settings=None, name="form.csv"):
        sheets = {"survey": list(survey), "choices": list(choices)}
        if settings:
            sheets["settings"] = [settings]
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for sheet, rows in sheets.items():
                if not rows:
                    continue
                header = list(dict.fromkeys(key for row in rows for key in row))
                writer.writerow([sheet])
                writer.writerow(["", *header])
                for row in rows:
                    writer.writerow(["", *(row.get(key, "") for key in header)])
        return path

    return write


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches and memos: ids are reused after a rollback."""
    from django.core.cache import cache

    from fieldwork import memo

    cache.clear()
    memo.clear_all()
    yield
    cache.clear()
    memo.clear_all()


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in process, as the embedded default does, on any broker setting."""
    from fieldwork.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager
