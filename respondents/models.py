"""Respondents, their submissions, and the quota slots their submissions hold."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import QuotaCell, Survey


class Respondent(models.Model):
    """A person invited to one survey: a panel member, or someone who used the open link."""

    class Source(models.TextChoices):
        PANEL = "panel", _("Panel invitation")
        OPEN = "open", _("Open link")
        # A field manager's test link: answered through the same pipeline, counted nowhere.
        TEST = "test", _("Test link")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="respondents")
    token = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PANEL)
    panel_id = models.CharField(_("panel id"), max_length=100, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=15, blank=True)
    # Where the panel reaches the member (the panel file's `email` and `name` columns);
    # what is sent there, and whether they asked for nothing more, is the mailings app's.
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    name = models.CharField(_("full name"), max_length=200, blank=True)
    known = models.JSONField(
        _("known variables"),
        default=dict,
        blank=True,
        help_text=_("What the panel already knows (city, age, gender), by variable name."),
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey", "created"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "panel_id"],
                condition=~models.Q(panel_id=""),
                name="respondent_panel_id_unique_per_survey",
            ),
        ]

    def __str__(self) -> str:
        return self.panel_id or f"open respondent {self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("respondents:entry", args=[self.token])


class Verdict(models.TextChoices):
    PENDING = "pending", _("Awaiting validation")
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class Mode(models.TextChoices):
    """How a questionnaire was answered."""

    WEB = "web", _("Web (self-completed)")
    CAPI = "capi", _("Interviewer (CAPI, ODK Collect)")
    API = "api", _("API (collected elsewhere)")


class Submission(models.Model):
    """A respondent's questionnaire: answers as one JSON document, and how it went."""

    Verdict = Verdict
    Mode = Mode

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SCREENED_OUT = "screened_out", _("Screened out")
        OVER_QUOTA = "over_quota", _("Over quota")
        COMPLETED = "completed", _("Completed")

    respondent = models.OneToOneField(
        Respondent, on_delete=models.CASCADE, related_name="submission"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="submissions")
    # No index of their own on status and verdict: the composite indexes below serve
    # every query by them, and each index is written again whenever a submission's status
    # or verdict changes (once per page's end and per verdict).
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.IN_PROGRESS)
    # A test link's submission (its respondent's source, fixed when it starts): it goes
    # through quotas, quality control and webhooks but moves no count (ADR 0026).
    is_test = models.BooleanField(_("test"), default=False, editable=False)
    language = models.CharField(max_length=15)
    answers = models.JSONField(default=dict, blank=True)
    pages_done = models.JSONField(
        default=list, blank=True, help_text=_("Names of the pages answered, in order.")
    )
    page_seconds = models.JSONField(
        default=dict, blank=True, help_text=_("Seconds spent on each page, by page name.")
    )
    page_shown = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was completed or terminated.")
    )
    user_agent = models.CharField(max_length=500, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    mode = models.CharField(_("mode"), max_length=5, choices=Mode.choices, default=Mode.WEB)
    # Who asked the questions, face to face (CAPI); empty for a self-completed one.
    interviewer = models.ForeignKey(
        "auth.User",
        verbose_name=_("interviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interviews",
    )
    # Quality control: what the rules said, and the verdict in force (an override wins).
    verdict = models.CharField(max_length=10, choices=Verdict.choices, default=Verdict.PENDING)
    qc_verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    qc_results = models.JSONField(
        default=dict, blank=True, help_text=_("Each rule's version, result and reason.")
    )
    validated = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(
        null=True, blank=True, help_text=_("Interview length: the time spent on its pages.")
    )
    overridden = models.BooleanField(default=False)
    queued = models.DateTimeField(
        null=True, blank=True, help_text=_("When the sweeper last sent it to validation.")
    )
    # Set by raking (reports.weighting); empty until the survey is weighted, and reset
    # for every submission whenever it is weighted again.
    weight = models.FloatField(
        null=True, blank=True, help_text=_("Raking weight (mean 1 over valid submissions).")
    )

    class Meta:
        ordering = ["survey", "started"]
        indexes = [
            models.Index(fields=["survey", "status"]),
            models.Index(fields=["status", "verdict", "ended"]),
            models.Index(fields=["survey", "verdict"]),
            models.Index(fields=["survey", "ip_hash"]),
            # The running median reads the latest completes of a survey.
            models.Index(fields=["survey", "status", "ended"]),
            # The interviewer rules and the dashboard read one interviewer's interviews.
            models.Index(fields=["survey", "interviewer", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} #{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.IN_PROGRESS

    @property
    def known(self) -> dict:
        """What the panel knew of the respondent (fixed once they started)."""
        return self.respondent.known


class QuotaSlot(models.Model):
    """A completed submission's place in one quota cell."""

    class State(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        CONFIRMED = "confirmed", _("Confirmed")
        RELEASED = "released", _("Released")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="slots")
    cell = models.ForeignKey(QuotaCell, on_delete=models.CASCADE, related_name="slots")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RESERVED)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "cell"], name="one_slot_per_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.cell.name}: {self.state}"


class VerdictOverride(models.Model):
    """A field manager's decision on a submission, kept as an audit trail."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="overrides")
    verdict = models.CharField(
        max_length=10, choices=[(Verdict.VALID, _("Valid")), (Verdict.INVALID, _("Invalid"))]
    )
    previous = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.TextField(_("reason"))
    user = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "created"]

    def __str__(self) -> str:
        return f"{self.previous} → {self.verdict}: {self.reason[:40]}"


class SurveyStats(models.Model):
    """The fieldwork funnel of a survey, kept as counts so a dashboard never recounts.

    Every count moves in the same transaction as the change it counts; the command
    `recount_stats` rebuilds them from the submissions, and the tests compare the two.
    """

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="stats")
    invited = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0)
    screened_out = models.PositiveIntegerField(default=0)
    over_quota = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    seconds_total = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.valid} valid"


class DailyStats(models.Model):
    """Completed and valid questionnaires of a survey per day of fieldwork."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    completed = models.PositiveIntegerField(default=0)
    valid = models.IntegerField(default=0)

    class Meta:
        ordering = ["survey", "day"]
        constraints = [models.UniqueConstraint(fields=["survey", "day"], name="one_day_per_survey")]

    def __str__(self) -> str:
        return f"{self.survey.slug} {self.day}: {self.completed}"


class RuleStats(models.Model):
    """How many submissions of a survey each quality rule currently fails."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rule_stats")
    rule = models.CharField(max_length=50)
    failed = models.IntegerField(default=0)

    class Meta:
        ordering = ["survey", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "rule"], name="one_rule_per_survey")
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} {self.rule}: {self.failed}"
