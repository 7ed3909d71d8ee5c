"""The audit log: who changed what the study's results depend on, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One action by a person (or a command) on a survey's questionnaire, quotas or data.

    Entries are only ever added: the admin shows them read-only, and nothing in the
    code updates or deletes one.
    """

    class Action(models.TextChoices):
        EXPORT = "export", _("Exported data")
        VERDICT_OVERRIDE = "verdict_override", _("Overrode a quality verdict")
        QUOTA_TARGET = "quota_target", _("Changed a quota target")
        QUESTIONNAIRE_CHANGE = "questionnaire_change", _("Changed the questionnaire")
        QUESTIONNAIRE_IMPORT = "questionnaire_import", _("Imported a questionnaire")
        SURVEY_STATUS = "survey_status", _("Changed a survey's status")
        FIELDWORK_DATES = "fieldwork_dates", _("Changed the fieldwork dates")
        TEST_LINKS = "test_links", _("Made test links")
        TEST_DATA_DISCARD = "test_data_discard", _("Discarded test data")
        ASSIGNMENT = "assignment", _("Changed who is assigned to a survey")

    created = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the entry must still say who it was once the account is gone.
    actor = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    survey = models.ForeignKey(
        "surveys.Survey",
        verbose_name=_("survey"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    survey_slug = models.CharField(_("survey"), max_length=100, blank=True)
    target = models.CharField(_("what"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["survey", "-created"], name="audit_by_survey")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor}: {self.get_action_display()}"
