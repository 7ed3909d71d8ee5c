"""Who may see which survey's dashboard, review queue and exports; the exports asked for."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey


class Assignment(models.Model):
    """A user assigned to a survey: they see it, as far as their role allows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "survey"], name="one_assignment_per_survey")
        ]
        permissions = [
            ("view_dashboard", _("Can see the fieldwork dashboard of assigned surveys")),
            ("review_submissions", _("Can review and override quality-control verdicts")),
            ("export_data", _("Can export the data of assigned surveys")),
            ("see_all_surveys", _("Can see every survey without being assigned")),
            ("run_fieldwork", _("Can make test links, pause, resume and extend fieldwork")),
            ("edit_targets", _("Can change quota targets of assigned surveys")),
            ("assign_users", _("Can assign users to surveys")),
            (
                "manage_questionnaires",
                _("Can upload questionnaires, publish surveys and copy them for a new wave"),
            ),
            (
                "collect_interviews",
                _("Can collect interviews for assigned surveys with ODK Collect (OpenRosa)"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.survey}"


def export_token() -> str:
    """Return a download token nobody can guess (256 bits from the OS's generator)."""
    return secrets.token_urlsafe(32)


class ExportJob(models.Model):
    """One export asked for from the dashboard (or the API): its options, progress and file."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        SAV = "sav", "SPSS (.sav)"
        CODEBOOK = "codebook", _("Codebook (HTML)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="export_jobs",
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_written = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    file = models.FileField(max_length=300, blank=True)
    token = models.CharField(max_length=64, unique=True, default=export_token, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "survey", "-created"], name="export_job_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="export_job_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=["csv", "xlsx", "sav", "codebook"]),
                name="export_job_format_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file=""),
                name="export_job_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} {self.format} #{self.pk} ({self.status})"
