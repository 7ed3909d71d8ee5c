"""The questionnaire: surveys, their pages, questions, choice lists and quota cells.

Every text a respondent sees is a TranslatedTextField: a JSON object holding one value per
survey language (``{"kk": "...", "ru": "..."}``), because each survey has its own set of
languages while the interface's own words come from Django's catalogues.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

variable_name_validator = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_.\-]*$",
    _("Use letters, digits, '_', '-' and '.', starting with a letter or '_'."),
)


def language_name(code: str) -> str:
    """Return the English name of a language code, or the code itself if unknown."""
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code


class TranslatedTextField(models.JSONField):
    """A text with one value per survey language, stored as ``{code: text}``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        from surveys.forms import TranslatedTextFormField

        return super().formfield(**{"form_class": TranslatedTextFormField, **kwargs})


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        # Live, but links take no answers until a field manager resumes fieldwork.
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(unique=True)
    title = TranslatedTextField(_("title"))
    languages = models.JSONField(
        _("languages"), default=list, help_text=_("Language codes, in display order.")
    )
    default_language = models.CharField(_("default language"), max_length=15)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    sample_target = models.PositiveIntegerField(_("sample target"), default=0)
    fieldwork_start = models.DateField(_("fieldwork starts"), null=True, blank=True)
    fieldwork_end = models.DateField(_("fieldwork ends"), null=True, blank=True)
    version = models.CharField(_("questionnaire version"), max_length=50, blank=True)
    speeder_fraction = models.FloatField(
        _("speeder threshold"),
        default=0.4,
        help_text=_("An interview shorter than this share of the median interview is a speeder."),
    )
    # What the welcome page tells a respondent before they start.
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated length (minutes)"),
        null=True,
        blank=True,
        help_text=_("How long the interview takes, as the welcome page says."),
    )
    consent = TranslatedTextField(
        _("consent text"),
        help_text=_("Shown on the welcome page; starting the interview means agreeing to it."),
    )
    open_link = models.BooleanField(
        _("open link"),
        default=False,
        help_text=_("Let anyone with the survey's open link take part, once per browser."),
    )
    # Waves of one study: the copies made for new waves share the study's name
    # (`surveys.waves.survey_copy`); a survey never copied has none.
    study = models.SlugField(_("study"), blank=True, help_text=_("Waves of one study share it."))
    wave = models.PositiveSmallIntegerField(_("wave"), default=1)
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="copies",
        verbose_name=_("copied from"),
    )
    # Moved by the services that change what respondents are asked or what is derived from
    # it (import, status, quota cells, the fields quality control reads): every cache of
    # the questionnaire is keyed on it (`surveys.questionnaire.cache_key`). ADR 0015.
    questionnaire_version = models.PositiveIntegerField(default=1, editable=False)
    # Moved when who listens to the survey's events changes (a webhook added, changed or
    # removed), by `surveys.services.survey_subscribers_changed`; validation reads it
    # fresh with each submission it locks, so a verdict knows whom to tell without
    # asking. Apart from the questionnaire's version: a webhook changes no questionnaire.
    subscribers_version = models.PositiveIntegerField(default=1, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fieldwork_end__isnull=True)
                | models.Q(fieldwork_start__isnull=True)
                | models.Q(fieldwork_end__gte=models.F("fieldwork_start")),
                name="survey_fieldwork_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    def text(self, value: dict, language: str | None = None) -> str:
        """Return `value` in `language`, falling back to the survey's default language."""
        return value.get(language or self.default_language) or value.get(self.default_language, "")

    @property
    def display_title(self) -> str:
        return self.text(self.title) or self.slug

    @property
    def language_names(self) -> list[str]:
        return [language_name(code) for code in self.languages]


def check_draft(survey: Survey | None) -> None:
    """Refuse a change to the questionnaire of a survey that is live or closed."""
    if survey is not None and survey.status != Survey.Status.DRAFT:
        raise ValidationError(
            _("The survey is %(status)s: its questionnaire can no longer change.")
            % {"status": survey.get_status_display().lower()}
        )


def check_expressions(survey: Survey, fields: dict[str, tuple[str, bool]], own: str) -> None:
    """Check conditions typed in the admin, as the XLSForm import would."""
    from surveys.expressions import ExpressionError, validate
    from surveys.selectors import survey_definition

    known = set(survey_definition(survey).variables()) - {own}
    errors = {}
    for field, (text, allow_current) in fields.items():
        if not text:
            continue
        try:
            validate(text, known | ({own} if allow_current else set()), allow_current=allow_current)
        except ExpressionError as exc:
            errors[field] = str(exc)
    if errors:
        raise ValidationError(errors)


class Page(models.Model):
    """An ordered page of a survey: an XLSForm top-level group."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="pages")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100, validators=[variable_name_validator])
    title = TranslatedTextField(_("title"))
    relevant = models.TextField(_("shown when"), blank=True)

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="page_name_unique"),
            models.UniqueConstraint(fields=["survey", "position"], name="page_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.name}"

    def clean(self) -> None:
        if self.survey_id:
            check_draft(self.survey)
            check_expressions(self.survey, {"relevant": (self.relevant, False)}, own="")


class ChoiceList(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="choice_lists")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["survey", "name"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="choice_list_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.name}"

    def clean(self) -> None:
        if self.survey_id:
            check_draft(self.survey)


class Choice(models.Model):
    choice_list = models.ForeignKey(ChoiceList, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField()
    value = models.CharField(_("value"), max_length=100)
    label = TranslatedTextField(_("label"), blank=False)
    # The choices sheet's other columns, one mapping per row of the choice, for the
    # choice_filter of the questions that use the list (surveys.definition.ChoiceDef).
    filters = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["choice_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["choice_list", "value"], name="choice_value_unique"),
        ]

    def __str__(self) -> str:
        return self.value


# Measurement levels a question may declare (the XLSForm's `measure` column), as SPSS names them.
MEASURES = [("nominal", _("nominal")), ("ordinal", _("ordinal")), ("scale", _("scale"))]


class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        GRID = "grid", _("Grid")
        INTEGER = "integer", _("Integer")
        DECIMAL = "decimal", _("Decimal")
        TEXT = "text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        DATE = "date", _("Date")
        TIME = "time", _("Time")
        DATETIME = "datetime", _("Date and time")
        NOTE = "note", _("Note")
        REPEAT = "repeat", _("Repeat (a roster of entries)")
        CALCULATE = "calculate", _("Calculation")
        START = "start", _("Start time (filled by the server)")
        END = "end", _("End time (filled by the server)")
        TODAY = "today", _("Day of the interview (filled by the server)")
        DEVICEID = "deviceid", _("Device (filled by the server)")
        USERNAME = "username", _("User name (filled by the server)")

    CHOICE_TYPES = (Type.SINGLE, Type.MULTIPLE, Type.GRID)
    NUMBER_TYPES = (Type.INTEGER, Type.DECIMAL)

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="questions")
    # The repeat a question is asked in, once per entry; None for a question of the page.
    repeat = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(help_text=_("Order within the whole survey."))
    variable = models.CharField(
        _("variable name"), max_length=100, validators=[variable_name_validator]
    )
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    label = TranslatedTextField(_("label"), blank=False)
    hint = TranslatedTextField(_("hint"))
    required = models.BooleanField(_("required"), default=False)
    relevant = models.TextField(
        _("shown when"), blank=True, help_text=_("XLSForm condition on earlier answers.")
    )
    constraint = models.TextField(_("constraint"), blank=True)
    constraint_message = TranslatedTextField(_("constraint message"))
    screening = models.TextField(
        _("eligible when"),
        blank=True,
        help_text=_("Condition on this answer ('.'); a respondent failing it is screened out."),
    )
    attention_check = models.TextField(
        _("attention check"),
        blank=True,
        help_text=_("Condition the answer ('.') must meet from an attentive respondent."),
    )
    appearance = models.CharField(_("appearance"), max_length=100, blank=True)
    choice_list = models.ForeignKey(
        ChoiceList, on_delete=models.RESTRICT, null=True, blank=True, related_name="questions"
    )
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    min_choices = models.PositiveIntegerField(null=True, blank=True)
    max_choices = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    calculation = models.TextField(
        _("calculation"), blank=True, help_text=_("A calculate question's expression.")
    )
    choice_filter = models.TextField(
        _("choice filter"),
        blank=True,
        help_text=_("Which choices show: a condition on the choices' columns."),
    )
    measure = models.CharField(
        _("measurement level"),
        max_length=10,
        blank=True,
        choices=MEASURES,
        help_text=_(
            "Nominal, ordinal or scale, for statistics packages; empty: inferred from the type "
            "(choices nominal, numbers scale)."
        ),
    )

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "variable"], name="question_variable_unique"),
            models.UniqueConstraint(fields=["survey", "position"], name="question_position_unique"),
            models.CheckConstraint(
                condition=models.Q(choice_list__isnull=False)
                | ~models.Q(type__in=["single", "multiple", "grid"]),
                name="question_choice_types_have_list",
            ),
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(max_value__gte=models.F("min_value")),
                name="question_value_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(min_choices__isnull=True)
                | models.Q(max_choices__isnull=True)
                | models.Q(max_choices__gte=models.F("min_choices")),
                name="question_choice_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.variable

    def clean(self) -> None:
        if not self.survey_id:
            return
        check_draft(self.survey)
        if self.type in self.CHOICE_TYPES and self.choice_list_id is None:
            raise ValidationError({"choice_list": _("Choice questions need a choice list.")})
        check_expressions(
            self.survey,
            {
                "relevant": (self.relevant, False),
                "constraint": (self.constraint, True),
                "screening": (self.screening, True),
                "attention_check": (self.attention_check, True),
            },
            own=self.variable,
        )


class GridRow(models.Model):
    """A row of a grid question: its own variable, answered on the grid's shared scale."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField()
    variable = models.CharField(
        _("variable name"), max_length=100, validators=[variable_name_validator]
    )
    label = TranslatedTextField(_("label"), blank=False)

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "variable"], name="grid_row_unique"),
        ]

    def __str__(self) -> str:
        return self.variable


class QuotaCell(models.Model):
    """A named cell of the sample design: who belongs to it, and how many are wanted."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="quota_cells")
    position = models.PositiveIntegerField(default=0)
    name = models.SlugField(max_length=100)
    label = TranslatedTextField(_("label"), blank=False)
    condition = models.TextField(
        _("condition"), help_text=_("XLSForm condition, e.g. ${city} = 'almaty'.")
    )
    target = models.PositiveIntegerField(_("target"))
    is_hard = models.BooleanField(
        _("hard limit"),
        default=True,
        help_text=_("Stop accepting respondents at the target; otherwise report only."),
    )
    # Counts kept in step with respondents.QuotaSlot, in the same transactions, so that
    # deciding "full" is one guarded UPDATE and the dashboard never recounts.
    reserved = models.PositiveIntegerField(_("reserved"), default=0, editable=False)
    confirmed = models.PositiveIntegerField(_("confirmed"), default=0, editable=False)
    released = models.PositiveIntegerField(_("released"), default=0, editable=False)

    class Meta:
        ordering = ["survey", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="quota_cell_name_unique"),
        ]
        verbose_name = _("quota cell")

    def __str__(self) -> str:
        return f"{self.survey.slug}: {self.name}"

    COUNTS = ("reserved", "confirmed", "released")

    def save(self, *args, **kwargs):
        # The counts move only by guarded UPDATEs as respondents complete; an admin
        # saving a target must not write back the counts it read a moment ago.
        if self.pk and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if f.name not in (*self.COUNTS, "id")
            ]
        super().save(*args, **kwargs)

    @property
    def is_full(self) -> bool:
        return self.is_hard and self.confirmed + self.reserved >= self.target

    def state(self, survey_status: str) -> str:
        """Return "closed" (the survey is not live nor paused), "full" or "open"."""
        if survey_status not in (Survey.Status.LIVE, Survey.Status.PAUSED):
            return "closed"
        return "full" if self.is_full else "open"

    def clean(self) -> None:
        from surveys.quotas import condition_errors
        from surveys.selectors import survey_definition

        if not self.survey_id or not self.condition:
            return
        if self.pk is None and self.survey.status != Survey.Status.DRAFT:
            raise ValidationError(_("Cells can only be added before fieldwork starts."))
        errors = condition_errors([self], set(survey_definition(self.survey).variables()))
        if errors:
            raise ValidationError({"condition": errors})


class WeightingScheme(models.Model):
    """How a survey's valid submissions are weighted: population margins and trimming.

    Each margin is one question's categories with their population (counts or shares,
    made into shares per margin); raking fits the weights to every margin at once.
    """

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="weighting")
    trim_low = models.FloatField(
        _("lowest weight"),
        default=0.3,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Weights (mean 1) below this are raised to it, then the margins re-raked."),
    )
    trim_high = models.FloatField(
        _("highest weight"),
        default=3.0,
        validators=[MinValueValidator(1.0)],
        help_text=_("Weights (mean 1) above this are lowered to it, then the margins re-raked."),
    )
    tolerance = models.FloatField(
        _("tolerance"),
        default=0.001,
        validators=[MinValueValidator(1e-9)],
        help_text=_("Largest difference allowed between a weighted share and its target."),
    )
    max_iterations = models.PositiveIntegerField(
        _("maximum iterations"), default=200, validators=[MinValueValidator(1)]
    )
    # The last raking: what it reached, kept so a page can say whether the weights hold.
    ran = models.DateTimeField(_("last raked"), null=True, blank=True, editable=False)
    converged = models.BooleanField(_("converged"), null=True, editable=False)
    iterations = models.PositiveIntegerField(_("iterations"), null=True, editable=False)
    max_error = models.FloatField(_("largest margin error"), null=True, editable=False)
    weighted = models.PositiveIntegerField(_("submissions weighted"), default=0, editable=False)
    report = models.TextField(_("report"), blank=True, editable=False)

    class Meta:
        verbose_name = _("weighting scheme")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trim_low__lt=models.F("trim_high")),
                name="weighting_trim_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug}: weighting"


class WeightingMargin(models.Model):
    """One question's population distribution that the weighted sample must match."""

    scheme = models.ForeignKey(WeightingScheme, on_delete=models.CASCADE, related_name="margins")
    position = models.PositiveIntegerField(default=0)
    variable = models.CharField(
        _("variable name"),
        max_length=100,
        validators=[variable_name_validator],
        help_text=_("A single-choice question, or an integer question cut into ranges."),
    )

    class Meta:
        ordering = ["scheme", "position", "variable"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "variable"], name="weighting_margin_unique"),
        ]
        verbose_name = _("weighting margin")

    def __str__(self) -> str:
        return f"{self.scheme.survey.slug}: {self.variable}"

    def clean(self) -> None:
        if not self.scheme_id or not self.variable:
            return
        question = self.scheme.survey.questions.filter(variable=self.variable).first()
        if question is None or question.type not in (
            Question.Type.SINGLE,
            Question.Type.INTEGER,
        ):
            raise ValidationError(
                {"variable": _("Name a single-choice or integer question of this survey.")}
            )


class WeightingTarget(models.Model):
    """A category of a margin and its population: a choice value, or a range like 18-29."""

    margin = models.ForeignKey(WeightingMargin, on_delete=models.CASCADE, related_name="targets")
    category = models.CharField(
        _("category"),
        max_length=100,
        help_text=_("A choice value; for an integer question a range such as 18-29."),
    )
    population = models.FloatField(
        _("population"),
        validators=[MinValueValidator(0.0)],
        help_text=_("A count or a share: each margin's figures are made into shares."),
    )

    class Meta:
        ordering = ["margin", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["margin", "category"], name="weighting_target_unique"),
            models.CheckConstraint(
                condition=models.Q(population__gte=0), name="weighting_target_not_negative"
            ),
        ]
        verbose_name = _("weighting target")

    def __str__(self) -> str:
        return f"{self.category}: {self.population:g}"
