"""E-mail to panel members: message templates, waves of sending, each message, opt-outs.

A `Send` is one message to one member in one round (0: the invitation, 1..K: the
reminders), unique per member and round, so that no selection, retry or restarted worker
can mail a member twice for the same round. Its state moves only forward through the
claim described in docs/decisions/0027-sending-exactly-once.md:

    pending -> claimed -> sent | bounced | failed | skipped
       ^---------'  (a retry waits in pending; a claim left by a dead worker is taken again)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from respondents.models import Respondent
from surveys.models import Survey


class Kind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")


class MailingSchedule(models.Model):
    """How a survey's messages go out: the rate, and when reminders are due."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="mailing")
    rate_per_minute = models.PositiveIntegerField(
        _("messages per minute"),
        default=60,
        help_text=_("How fast messages are handed to the mail server."),
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("days before a reminder"),
        default=3,
        help_text=_("A reminder goes this many days after the member's last message."),
    )
    reminder_max = models.PositiveSmallIntegerField(
        _("reminders at most"), default=2, help_text=_("0: no reminders.")
    )
    # One sender per survey at a time (so the rate holds): a task holds the lease while
    # it sends; a dead worker's lease runs out.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_owner = models.CharField(max_length=16, blank=True, editable=False)
    last_sent = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_per_minute__gte=1, rate_per_minute__lte=6000),
                name="mailing_rate_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(reminder_after_days__gte=1),
                name="mailing_reminder_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.rate_per_minute}/min"


class MessageTemplate(models.Model):
    """A survey's invitation or reminder in one language; without one, the default."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="message_templates")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    language = models.CharField(max_length=15)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), max_length=10_000)
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "kind", "language"], name="one_template_per_kind_and_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} {self.kind} ({self.language})"


class Wave(models.Model):
    """One act of sending: the members a field manager (or the reminder schedule) chose."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    selection = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="wave_number_per_survey")
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} wave {self.number} ({self.kind})"


class Send(models.Model):
    """One message to one member in one round."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        CLAIMED = "claimed", _("being sent")
        SENT = "sent", _("e-mailed")
        BOUNCED = "bounced", _("bounced")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent")

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="sends")
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="sends")
    round = models.PositiveSmallIntegerField(help_text=_("0: the invitation; 1, 2...: reminders."))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    claimed = models.DateTimeField(null=True, blank=True)
    sent = models.DateTimeField(null=True, blank=True)
    # Chosen when the wave is made and kept: a message sent again after a lost claim
    # carries the same Message-ID, so a mail system may recognise it as the same message.
    message_id = models.CharField(max_length=255, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    language = models.CharField(max_length=15, blank=True)
    error = models.TextField(blank=True)
    # The message's link goes through /m/<token>/, which notes that it was opened.
    token = models.CharField(max_length=43, unique=True)
    opened = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["wave", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["respondent", "round"], name="one_send_per_round")
        ]
        indexes = [
            models.Index(fields=["wave", "state"]),
            models.Index(fields=["state", "claimed"]),
        ]

    def __str__(self) -> str:
        return f"{self.respondent} round {self.round}: {self.state}"


class OptOut(models.Model):
    """A member who asked for no more messages about this survey."""

    respondent = models.OneToOneField(Respondent, on_delete=models.CASCADE, related_name="opt_out")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.respondent} opted out"
