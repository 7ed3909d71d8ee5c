"""Panel providers (entry and exit links) and webhooks (with their delivery log)."""

from __future__ import annotations

import secrets
import string
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from respondents.models import Respondent, Submission
from surveys.models import Survey


class Outcome(models.TextChoices):
    """Where a respondent of a provider ended, as the provider pays and rewards by."""

    COMPLETE = "complete", _("Complete")
    SCREENED_OUT = "screened_out", _("Screened out")
    OVER_QUOTA = "over_quota", _("Over quota")
    QUALITY_TERMINATED = "quality_terminated", _("Quality-terminated")


def _check_exit_template(value: str) -> None:
    """Refuse an exit URL template that could not be filled in or is not a web address."""
    if not value:
        return
    if not value.startswith(("https://", "http://")):
        raise ValidationError(_("An exit URL starts with https:// or http://."))
    if "#" in value:
        raise ValidationError(_("An exit URL cannot have a #fragment."))
    try:
        fields = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValidationError(
            _("Braces do not match (%(error)s); write {pid}, {survey}..."), params={"error": exc}
        ) from None
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValidationError(
                _("'{%(name)s}' is not a placeholder; use a plain name such as {pid}."),
                params={"name": name + (f"!{conversion}" if conversion else "")},
            )


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Provider(models.Model):
    """A sample provider sending its panel members to one survey and taking them back."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="providers")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), help_text=_("Part of the entry URL: /p/<survey>/<slug>/."))
    id_parameter = models.CharField(
        _("id parameter"),
        max_length=50,
        default="pid",
        help_text=_("The query parameter carrying the provider's respondent id."),
    )
    prefill = models.JSONField(
        _("pre-filled variables"),
        default=dict,
        blank=True,
        help_text=_(
            "Query parameters the provider may send, mapped to question names, e.g. "
            '{"city": "region", "age": "age"}. Values are checked like answers.'
        ),
    )
    complete_url = models.CharField(
        _("complete URL"), max_length=1000, blank=True, validators=[_check_exit_template]
    )
    screened_out_url = models.CharField(
        _("screened-out URL"), max_length=1000, blank=True, validators=[_check_exit_template]
    )
    over_quota_url = models.CharField(
        _("over-quota URL"), max_length=1000, blank=True, validators=[_check_exit_template]
    )
    quality_terminated_url = models.CharField(
        _("quality-terminated URL"),
        max_length=1000,
        blank=True,
        validators=[_check_exit_template],
        help_text=_(
            "Used when a respondent judged invalid opens the link again, and in the "
            "reconciliation file; the verdict comes after the respondent has left."
        ),
    )
    secret = models.CharField(
        _("shared secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "When set, entry links must carry a valid sig= (HMAC-SHA256) and exit links "
            "are signed the same way."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey", "name"]
        verbose_name = _("panel provider")
        verbose_name_plural = _("panel providers")
        constraints = [
            models.UniqueConstraint(fields=["survey", "slug"], name="provider_slug_per_survey"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.name}"

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.prefill, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.prefill.items()
        ):
            raise ValidationError(
                {"prefill": _("Write an object of parameter names to question names.")}
            )
        reserved = {self.id_parameter, "sig", "lang"} & set(self.prefill)
        if reserved:
            raise ValidationError(
                {"prefill": _("'%(name)s' is already used by the link.") % {"name": min(reserved)}}
            )
        if self.survey_id:
            names = set(self.survey.questions.values_list("variable", flat=True))
            unknown = sorted(set(self.prefill.values()) - names)
            if unknown:
                raise ValidationError(
                    {
                        "prefill": _("%(names)s: not a question of this survey.")
                        % {"names": ", ".join(unknown)}
                    }
                )

    def exit_template(self, outcome: str) -> str:
        return {
            Outcome.COMPLETE: self.complete_url,
            Outcome.SCREENED_OUT: self.screened_out_url,
            Outcome.OVER_QUOTA: self.over_quota_url,
            Outcome.QUALITY_TERMINATED: self.quality_terminated_url,
        }[outcome]


class ProviderRespondent(models.Model):
    """Which provider sent a respondent, under which of the provider's ids."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="respondents")
    respondent = models.OneToOneField(
        Respondent, on_delete=models.CASCADE, related_name="provider_link"
    )
    external_id = models.CharField(_("provider's id"), max_length=100)
    params = models.JSONField(
        default=dict, blank=True, help_text=_("The entry link's parameters, for the exit link.")
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "created"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="one_respondent_per_provider_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.slug}:{self.external_id}"


class Event(models.TextChoices):
    VALID = "valid", _("Judged valid")
    INVALID = "invalid", _("Judged invalid")
    OVER_QUOTA = "over_quota", _("Over quota")


class Webhook(models.Model):
    """A URL told, by a signed JSON POST, when a survey's submission is judged."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=1000)
    secret = models.CharField(
        _("secret"),
        max_length=200,
        default=new_secret,
        help_text=_("Signs each body (HMAC-SHA256); give it to the receiver."),
    )
    on_valid = models.BooleanField(_("valid"), default=True)
    on_invalid = models.BooleanField(_("invalid"), default=False)
    on_over_quota = models.BooleanField(_("over quota"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.survey.slug} → {self.url}"

    def clean(self) -> None:
        super().clean()
        if self.url and not self.url.startswith(("https://", "http://")):
            raise ValidationError({"url": _("A webhook URL starts with https:// or http://.")})

    def wants(self, event: str) -> bool:
        return {
            Event.VALID: self.on_valid,
            Event.INVALID: self.on_invalid,
            Event.OVER_QUOTA: self.on_over_quota,
        }.get(event, False)


class Delivery(models.Model):
    """One event for one webhook: its fixed body, and how sending it went."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    # Sent as a header on every attempt, so a receiver can drop repeats.
    uid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered = models.DateTimeField(_("delivered at"), null=True, blank=True)
    next_retry = models.DateTimeField(_("next retry"), null=True, blank=True)
    # A lease: the worker sending now holds it, so two workers never send it at once.
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["delivered", "next_retry"])]

    def __str__(self) -> str:
        return f"{self.event} #{self.submission_id} → {self.webhook.url}"
