"""What interviewers' tablets sent: every instance received, kept whatever became of it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from respondents.models import Submission
from surveys.models import Survey


class ReceivedInstance(models.Model):
    """One filled form (an XForm instance) sent by an OpenRosa client.

    Kept as received, the XML included, before anything else: an instance that cannot
    become a submission (its answers fail the questionnaire's checks, it was filled in
    an older version of the form) stays here as rejected, with the reason, until a field
    manager processes it again. `instance_id` (the client's `meta/instanceID`) is unique
    per survey: a client sending it again changes nothing.
    """

    class State(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    instance_id = models.CharField(_("instance id"), max_length=100)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("interviewer"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    form_version = models.CharField(_("form version"), max_length=100, blank=True)
    device_id = models.CharField(_("device"), max_length=100, blank=True)
    xml = models.TextField(_("instance XML"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    reason = models.TextField(_("reason"), blank=True)
    submission = models.OneToOneField(
        Submission,
        verbose_name=_("submission"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="received_instance",
    )
    received = models.DateTimeField(_("received"), auto_now_add=True)
    processed = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("times processed"), default=0)

    class Meta:
        verbose_name = _("received instance")
        verbose_name_plural = _("received instances")
        ordering = ["-received", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "instance_id"], name="one_received_instance_per_id"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["accepted", "rejected"]),
                name="received_instance_state_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(reason=""),
                name="rejected_instance_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["survey", "state", "-received"])]

    def __str__(self) -> str:
        return f"{self.survey.slug} {self.instance_id} ({self.state})"
