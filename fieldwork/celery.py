"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldwork.settings")

app = Celery("fieldwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_as_for_a_request(task=None, **kwargs) -> None:
    """Treat each task like a web request: keep a healthy connection, drop a broken one.

    Celery's own Django fix-up closes the connection around every task unless
    CELERY_DB_REUSE_MAX is set, which costs a new PostgreSQL connection per task (several
    milliseconds, more than a validation). With reuse on, this does what Django does
    around each request instead: close a connection that is broken or older than
    CONN_MAX_AGE, and keep the others. A task run in process (eagerly) belongs to its
    caller's request and transaction, and is left alone.
    """
    from django.db import close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
