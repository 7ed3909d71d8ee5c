"""API tokens, and the idempotency keys of submissions ingested through the API."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from respondents.models import Submission
from surveys.models import Survey


class ApiToken(models.Model):
    """A user's key to the API, stored as a SHA-256 digest: the key itself is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("What or who uses this token.")
    )
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["user", "created"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class IngestionKey(models.Model):
    """A client's idempotency key for one submission sent through the API.

    The unique constraint, not a lookup, is what makes a replay safe: of two requests
    with the same key, the second waits on the first's insert and then finds its row.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(
        max_length=64, help_text=_("SHA-256 of the request's content, to tell a replay apart.")
    )
    # Empty only inside the transaction that stores the submission.
    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, null=True, related_name="ingestion_key"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey", "created"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="one_ingestion_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.key}"
