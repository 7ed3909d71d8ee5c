"""Export jobs: an export asked for by a person, built by a worker, downloaded by its token.

One entry point per step, used alike by the dashboard, the API and the Celery task:
`export_start` checks the permission and the options and enqueues the build; `export_run`
builds the file (idempotent: a finished job is left alone, a job whose worker died while
running is built again from the start); `export_fail` records why a job failed and keeps no
file. The file is written to a local temporary file first and handed to Django's storage
only once complete, so a failed or interrupted build never leaves half a file behind.
"""

from __future__ import annotations

import datetime
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from fieldwork.errors import Refused
from reports import access, datasets, exports
from reports.models import ExportJob
from respondents.selectors import submissions_matching
from respondents.tokens import is_well_formed
from surveys.models import Survey

logger = logging.getLogger(__name__)

PERMISSION = "export_data"
PROGRESS_EVERY = 1000
# A job whose worker dies this many times is failed, not handed out again.
MAX_ATTEMPTS = 3
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "sav": "sav", "codebook": "html"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "codebook": "text/html; charset=utf-8",
}
# The options an export takes, with their defaults (the keyword arguments of export_build).
OPTIONS: dict[str, Any] = {
    "language": None,
    "labels": False,
    "valid_only": True,
    "identifiers": False,
    "bom": False,
    "since": None,
    "until": None,
    "cell": "",
    # Test links' submissions, with a column `test`; never unless asked (ADR 0026).
    "include_test": False,
}


def export_allowed(user, survey: Survey) -> bool:
    """Return whether `user` may export `survey`'s data."""
    return access.surveys_for(user, PERMISSION).filter(pk=survey.pk).exists()


def export_options_clean(survey: Survey, fmt: str, options: dict | None = None) -> dict:
    """Return `options` completed with defaults and checked; raise Refused listing faults.

    Dates come back as ISO strings so the result can be stored as JSON.
    """
    options = dict(options or {})
    errors = []
    if fmt not in EXTENSIONS:
        errors.append(
            _("Unknown format %(format)s; choose one of %(formats)s.")
            % {"format": fmt, "formats": ", ".join(EXTENSIONS)}
        )
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        errors.append(_("Unknown export options: %(names)s.") % {"names": ", ".join(unknown)})
    result = {**OPTIONS, **{k: v for k, v in options.items() if k in OPTIONS}}
    if result["language"] in ("", None):
        result["language"] = None
    elif result["language"] not in survey.languages:
        errors.append(
            _("%(language)s is not a language of this survey (%(languages)s).")
            % {"language": result["language"], "languages": ", ".join(survey.languages)}
        )
    for name in ("labels", "valid_only", "identifiers", "bom", "include_test"):
        if not isinstance(result[name], bool):
            errors.append(_("%(name)s must be true or false.") % {"name": name})
    for name in ("since", "until"):
        value = result[name]
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, str) and value:
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                errors.append(_("%(name)s must be a date (YYYY-MM-DD).") % {"name": name})
                value = None
        elif not isinstance(value, datetime.date):
            value = None
        result[name] = value.isoformat() if value else None
    if result["since"] and result["until"] and result["since"] > result["until"]:
        errors.append(_("The date range ends before it starts."))
    result["cell"] = str(result["cell"] or "")
    if result["cell"] and not survey.quota_cells.filter(name=result["cell"]).exists():
        errors.append(_("%(cell)s is not a quota cell of this survey.") % {"cell": result["cell"]})
    if errors:
        raise Refused(errors)
    return result


def _build_arguments(options: dict) -> dict:
    """Return the keyword arguments of export_build for stored (JSON) options."""
    arguments = dict(options)
    for name in ("since", "until"):
        if arguments.get(name):
            arguments[name] = datetime.date.fromisoformat(arguments[name])
    return arguments


def _matching(survey: Survey, arguments: dict):
    """The submissions an export with these arguments holds."""
    return submissions_matching(
        survey,
        valid_only=arguments["valid_only"],
        since=arguments["since"],
        until=arguments["until"],
        cell=arguments["cell"],
        include_test=arguments["include_test"],
    )


def export_row_count(survey: Survey, options: dict) -> int:
    """Return how many respondents an export with cleaned `options` holds."""
    arguments = _build_arguments(options)
    return _matching(survey, arguments).count()


def export_stream(survey: Survey, options: dict, *, user=None, request=None) -> Iterator[str]:
    """Return the CSV of cleaned `options` as an iterator of text, for a streamed response."""
    audit.record(
        audit.Action.EXPORT,
        user=user,
        request=request,
        survey=survey,
        target="csv export, streamed",
        details={"format": "csv", "options": options},
    )
    arguments = _build_arguments(options)
    cols = datasets.columns(
        survey,
        arguments["language"],
        identifiers=arguments["identifiers"],
        test=arguments["include_test"],
    )
    queryset = _matching(survey, arguments)
    rows = datasets.rows(survey, cols, queryset, labels=arguments["labels"], **exports.PLAIN)
    return exports.csv_stream(cols, rows, bom=arguments["bom"])


def export_start(
    user, survey: Survey, fmt: str, options: dict | None = None, *, request=None
) -> ExportJob:
    """Record an export asked for by `user` and have a worker build it once committed.

    Raise PermissionDenied without export permission on `survey`, Refused on bad options.
    """
    if not export_allowed(user, survey):
        raise PermissionDenied(_("You may not export this survey's data."))
    cleaned = export_options_clean(survey, fmt, options)
    with transaction.atomic():
        job = ExportJob.objects.create(user=user, survey=survey, format=fmt, options=cleaned)
        audit.record(
            audit.Action.EXPORT,
            user=user,
            request=request,
            survey=survey,
            target=f"{fmt} export {job.pk}",
            details={"format": fmt, "options": cleaned},
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from reports.tasks import build_export

    try:
        build_export.delay(job_id)
    except Exception:  # the broker's errors vary by transport; say so rather than wait forever
        logger.exception("could not enqueue export job %s", job_id)
        job = ExportJob.objects.filter(pk=job_id).first()
        if job is not None:
            export_fail(job, _("The export could not be queued; please try again."))


def export_run(job_id: int, *, progress_every: int = PROGRESS_EVERY) -> ExportJob | None:
    """Build job `job_id`'s file; a done or failed job is left as it is.

    A queued job, or a running one whose worker died (the broker hands its message out
    again), is claimed with one guarded UPDATE and built from the start.
    """
    claimed = ExportJob.objects.filter(
        pk=job_id,
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        status=ExportJob.Status.RUNNING,
        started=timezone.now(),
        attempts=F("attempts") + 1,
        rows_written=0,
        error="",
    )
    job = ExportJob.objects.select_related("survey").filter(pk=job_id).first()
    if not claimed and job is not None and job.status == ExportJob.Status.RUNNING:
        # Its worker died on it each time (out of memory, say): stop handing it out.
        export_fail(
            job, _("The export stopped %(n)d times without finishing.") % {"n": MAX_ATTEMPTS}
        )
        job.refresh_from_db()
    if not claimed or job is None:
        return job
    workdir = Path(tempfile.mkdtemp(prefix="export-"))
    try:
        path = workdir / f"export.{EXTENSIONS[job.format]}"
        written = exports.export_build(
            job.survey,
            job.format,
            path,
            **_build_arguments(job.options),
            progress=lambda done, total: _progress(job_id, done, total),
            progress_every=progress_every,
        )
        files = sorted(workdir.iterdir())
        if len(files) > 1:  # the repeats' own files beside the dataset: one zip of all
            path = _zipped(workdir / "export.zip", files, job)
        _store(job, path, written)
    except Exception as exc:  # any failure is the job's outcome, told to whoever asked
        logger.exception("export job %s failed", job_id)
        export_fail(job, str(exc) or exc.__class__.__name__)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    job.refresh_from_db()
    return job


def _zipped(target: Path, files: list[Path], job: ExportJob) -> Path:
    """Put the dataset and each repeat's file in one zip (as ODK Central exports them)."""
    stem = Path(export_filename(job, extension=EXTENSIONS[job.format])).stem
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, arcname=file.name.replace("export", stem, 1))
    return target


def _progress(job_id: int, done: int, total: int) -> None:
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        rows_written=done, rows_total=total
    )


def _store(job: ExportJob, path: Path, written: int) -> None:
    """Hand the finished file to the storage and mark the job done, in that order."""
    storage = job.file.storage
    name = f"exports/{job.survey.slug}/{job.pk}-{job.token[:12]}{path.suffix}"
    if storage.exists(name):  # left by an earlier attempt that died before being marked done
        storage.delete(name)
    with path.open("rb") as handle:
        saved = storage.save(name, File(handle))
    done = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE,
        file=saved,
        rows_written=written,
        rows_total=written,
        finished=timezone.now(),
    )
    if not done:  # failed by someone else meanwhile: keep no file for it
        storage.delete(saved)


def export_fail(job: ExportJob, message: str) -> None:
    """Mark `job` failed with `message` and delete any file it had; a done job stays done."""
    failed = (
        ExportJob.objects.filter(pk=job.pk)
        .exclude(status=ExportJob.Status.DONE)
        .update(
            status=ExportJob.Status.FAILED,
            error=message[:2000],
            file="",
            finished=timezone.now(),
        )
    )
    if failed and job.file:
        job.file.storage.delete(job.file.name)
    job.refresh_from_db()


def export_status(job: ExportJob) -> dict:
    """Return what a progress display needs: status, rows written of total, error, ready."""
    total = job.rows_total
    percent = 100 if job.status == ExportJob.Status.DONE else 0
    if total and job.status == ExportJob.Status.RUNNING:
        percent = min(99, int(100 * job.rows_written / total))
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "rows_written": job.rows_written,
        "rows_total": total,
        "percent": percent,
        "error": job.error,
        "ready": job.status == ExportJob.Status.DONE,
    }


def export_job_for(user, token: str, survey: Survey | None = None) -> ExportJob | None:
    """Return the job with download `token` if `user` may still export its survey, else None."""
    if not is_well_formed(token):  # never let junk (a NUL byte) reach the database
        return None
    job = ExportJob.objects.select_related("survey").filter(token=token).first()
    if job is None or (survey is not None and job.survey_id != survey.pk):
        return None
    if not export_allowed(user, job.survey):
        return None
    return job


def export_filename(job: ExportJob, extension: str = "") -> str:
    """Return the name a downloaded file gets: survey, format and when it was asked for.

    A dataset with repeats is a zip of its files (the stored file's extension says so).
    """
    stamp = timezone.localtime(job.created).strftime("%Y%m%d-%H%M")
    suffix = "-codebook" if job.format == ExportJob.Format.CODEBOOK else ""
    if not extension:
        stored = Path(job.file.name).suffix.lstrip(".") if job.file else ""
        extension = stored or EXTENSIONS[job.format]
    return f"{job.survey.slug}{suffix}-{stamp}.{extension}"


@dataclass(frozen=True)
class ExportFile:
    """A finished export, open for reading, with the name and type it is downloaded as."""

    file: File
    filename: str
    content_type: str


def export_file(job: ExportJob) -> ExportFile | None:
    """Return the finished file of `job`, open for reading; None if it is not ready."""
    if job.status != ExportJob.Status.DONE or not job.file:
        return None
    return ExportFile(
        file=job.file.storage.open(job.file.name, "rb"),
        filename=export_filename(job),
        content_type="application/zip"
        if job.file.name.endswith(".zip")
        else CONTENT_TYPES[job.format],
    )


def recent_exports(user, survey: Survey | None = None, limit: int = 10) -> QuerySet[ExportJob]:
    """Return the latest exports `user` asked for (of `survey` if given)."""
    jobs = ExportJob.objects.filter(user=user).select_related("survey")
    if survey is not None:
        jobs = jobs.filter(survey=survey)
    return jobs.order_by("-created", "-pk")[:limit]
