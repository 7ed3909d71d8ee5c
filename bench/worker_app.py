"""The project's Celery app plus a task that does nothing: the baseline of the benchmark."""

from fieldwork.celery import app


@app.task(name="bench.noop")
def noop(number: int) -> int:
    return number
