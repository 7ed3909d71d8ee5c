from django import forms
from django.contrib import admin
from django.db.models import Count, Sum
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from surveys.forms import LanguageListField, TranslatedModelForm, language_choices
from surveys.models import (
    Choice,
    ChoiceList,
    GridRow,
    Page,
    Question,
    QuotaCell,
    Survey,
    WeightingMargin,
    WeightingScheme,
    WeightingTarget,
)
from surveys.preflight import survey_preflight
from surveys.selectors import translation_completeness
from surveys.services import survey_questionnaire_changed


def _survey_of(obj) -> Survey | None:
    if obj is None:
        return None
    if isinstance(obj, Survey):
        return obj
    if isinstance(obj, Question | Page | ChoiceList | QuotaCell):
        return obj.survey
    return None


class LanguagesMixin:
    """Show one box per survey language for translated fields; freeze live surveys.

    A live or closed survey has answers that depend on its questions, so its
    questionnaire is shown read-only here; a new version is imported under a new slug.
    """

    form = TranslatedModelForm

    def _languages(self, obj) -> list[str]:
        survey = _survey_of(obj)
        return list(survey.languages) if survey else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        languages = self._languages(obj)
        return TranslatedModelForm.with_languages(form, languages) if languages else form

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        languages = self._languages(obj)
        if languages:
            formset.form = TranslatedModelForm.with_languages(formset.form, languages)
        return formset

    def _editable(self, obj) -> bool:
        survey = _survey_of(obj)
        return survey is None or survey.status == Survey.Status.DRAFT

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(obj)

    def has_add_permission(self, request, obj=None):
        args = (request, obj) if isinstance(self, admin.options.InlineModelAdmin) else (request,)
        return super().has_add_permission(*args) and self._editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(obj)

    # Every change to a questionnaire made here goes into the audit log, besides the
    # admin's own history, with who, what and the admin's description of the change.
    def log_addition(self, request, obj, message):
        self._audit(request, obj, "added", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "changed", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "deleted", [])
        return super().log_deletions(request, queryset)

    def _audit(self, request, obj, what: str, message) -> None:
        # A quota target has an entry of its own (QUOTA_TARGET, with old and new), so a
        # change of a target alone is not a questionnaire change too.
        own = isinstance(self, QuotaCellAdmin)
        message = _without_targets(message, own) if isinstance(message, list) else message
        if message or what != "changed":
            audit.record(
                audit.Action.QUESTIONNAIRE_CHANGE,
                request=request,
                survey=_survey_of(obj),
                target=f"{obj._meta.verbose_name} {obj}",
                details={"what": what, "change": message},
            )


def _without_targets(message: list, own: bool = False) -> list:
    """Return the admin's change message less the quota cells' target changes.

    `own`: the message is a quota cell's own (its fields are the cell's), not a survey's
    with its cells inline.
    """
    target = str(QuotaCell._meta.get_field("target").verbose_name).lower()
    kept = []
    for part in message:
        changed = part.get("changed") if isinstance(part, dict) else None
        if changed is None:
            kept.append(part)
            continue
        is_cell = changed.get("name") == str(QuotaCell._meta.verbose_name) or (
            own and "name" not in changed
        )
        fields = [f for f in changed.get("fields", []) if not (is_cell and f.lower() == target)]
        if fields:
            kept.append({**part, "changed": {**changed, "fields": fields}})
    return kept


def _audit_fields(request, form, fields: dict[str, str]) -> None:
    """Record a change of the fields in `fields` (name -> audit action) made by `form`."""
    for name, action in fields.items():
        if form.instance.pk and name in form.changed_data:
            audit.record(
                action,
                request=request,
                survey=_survey_of(form.instance),
                target=str(form.instance),
                details={
                    "field": name,
                    "from": form.initial.get(name),
                    "to": form.cleaned_data.get(name),
                },
            )


def completeness_html(survey: Survey):
    shares = translation_completeness(survey)
    return format_html_join(
        " ",
        '<span title="{}" style="padding:1px 6px;border-radius:8px;color:#fff;background:{}">'
        "{}&nbsp;{}%</span>",
        (
            (
                _("Share of texts translated"),
                "#198754" if share >= 1 else "#dc3545",
                code,
                int(share * 100),
            )
            for code, share in shares.items()
        ),
    )


def _cells_can_change(survey: Survey | None) -> bool:
    """Cells are added, removed or redefined only before fieldwork starts."""
    return survey is None or survey.status == Survey.Status.DRAFT


def _frozen_cell_fields(survey: Survey | None) -> tuple[str, ...]:
    # Once live, a cell's slots were taken under its name and condition.
    return () if _cells_can_change(survey) else ("name", "condition")


class QuotaCellInline(LanguagesMixin, admin.TabularInline):
    model = QuotaCell
    extra = 0
    fields = ("position", "name", "label", "condition", "target", "is_hard")

    def _editable(self, obj) -> bool:
        # Targets are a fieldwork decision: they may move while a survey is live.
        return True

    def get_readonly_fields(self, request, obj=None):
        return _frozen_cell_fields(_survey_of(obj))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _cells_can_change(_survey_of(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _cells_can_change(_survey_of(obj))


class SurveyForm(TranslatedModelForm):
    languages = LanguageListField(label=_("languages"))
    default_language = forms.ChoiceField(label=_("default language"), choices=language_choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        held = list(self.instance.languages or []) if self.instance.pk else []
        self.fields["languages"].keep_codes(held)
        self.fields["default_language"].choices = [
            *language_choices(),
            *[(code, code) for code in held if code not in dict(language_choices())],
        ]

    def clean(self):
        cleaned = super().clean()
        languages, default = cleaned.get("languages"), cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error("default_language", _("The default language must be one of them."))
        going_live = cleaned.get("status") == Survey.Status.LIVE
        if going_live and self.instance.pk:
            was = Survey.objects.get(pk=self.instance.pk).status
            if was != Survey.Status.LIVE:
                for error in survey_preflight(self.instance).errors:
                    self.add_error("status", error)
        elif going_live:
            self.add_error("status", _("A new survey starts as a draft: import its questions."))
        return cleaned


@admin.register(Survey)
class SurveyAdmin(LanguagesMixin, admin.ModelAdmin):
    form = SurveyForm
    list_display = (
        "slug",
        "display_title",
        "status",
        "completion",
        "language_list",
        "sample_target",
        "quota_total",
        "translations",
        "fieldwork_start",
        "fieldwork_end",
    )
    list_filter = ("status",)
    search_fields = ("slug", "title")
    readonly_fields = ("translations", "created", "updated")
    fieldsets = (
        (None, {"fields": ("slug", "title", "status", "version")}),
        (_("Languages"), {"fields": ("languages", "default_language", "translations")}),
        (_("Fieldwork"), {"fields": ("sample_target", "fieldwork_start", "fieldwork_end")}),
        (_("Welcome page"), {"fields": ("estimated_minutes", "consent")}),
        (_("History"), {"fields": ("created", "updated")}),
    )
    inlines = [QuotaCellInline]
    # Quality control's action is added by respondents (respondents/admin.py): surveys
    # knows nobody above it.
    actions: list = []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.has_changed():
            # Its title, languages, status or what quality control reads may have changed.
            survey_questionnaire_changed(obj)
        _audit_fields(request, form, {"status": audit.Action.SURVEY_STATUS})

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for cell_form in formset.forms:
            if isinstance(cell_form.instance, QuotaCell) and not cell_form.errors:
                _audit_fields(request, cell_form, {"target": audit.Action.QUOTA_TARGET})

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(quota_sum=Sum("quota_cells__target"), cell_count=Count("quota_cells"))
            .select_related("stats")
        )

    @admin.display(description=_("sample completion"))
    def completion(self, survey):
        stats = getattr(survey, "stats", None)
        valid = stats.valid if stats else 0
        percent = min(100, round(100 * valid / survey.sample_target)) if survey.sample_target else 0
        return format_html(
            '<div title="{}%" style="width:8em;height:.6em;background:#e9ecef;border-radius:3px">'
            '<div style="width:{}%;height:100%;background:#198754;border-radius:3px"></div></div>'
            "{} / {}",
            percent,
            percent,
            f"{valid:,}",
            f"{survey.sample_target:,}",
        )

    def has_change_permission(self, request, obj=None):
        # The survey's own settings (status above all) stay editable when it is live.
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    @admin.display(description=_("title"))
    def display_title(self, survey):
        return survey.display_title

    @admin.display(description=_("languages"))
    def language_list(self, survey):
        return ", ".join(
            f"{name} ({code}){' *' if code == survey.default_language else ''}"
            for code, name in zip(survey.languages, survey.language_names, strict=True)
        )

    @admin.display(description=_("quota cells"))
    def quota_total(self, survey):
        return f"{survey.quota_sum or 0:,} in {survey.cell_count}"

    @admin.display(description=_("translated"))
    def translations(self, survey):
        if survey.pk is None:
            return "-"
        return completeness_html(survey)


class GridRowInline(LanguagesMixin, admin.TabularInline):
    model = GridRow
    extra = 0
    fields = ("position", "variable", "label")


@admin.register(Question)
class QuestionAdmin(LanguagesMixin, admin.ModelAdmin):
    list_display = ("variable", "survey", "page", "position", "type", "required", "short_label")
    list_filter = ("survey", "type", "required")
    search_fields = ("variable", "label")
    list_select_related = ("survey", "page")
    ordering = ("survey", "position")
    inlines = [GridRowInline]
    fieldsets = (
        (None, {"fields": ("survey", "page", "position", "variable", "type", "required")}),
        (_("Texts"), {"fields": ("label", "hint")}),
        (_("Logic"), {"fields": ("relevant", "constraint", "constraint_message", "screening")}),
        (
            _("Answers"),
            {
                "fields": (
                    "choice_list",
                    "min_value",
                    "max_value",
                    "min_choices",
                    "max_choices",
                    "appearance",
                    "measure",
                )
            },
        ),
    )

    @admin.display(description=_("label"))
    def short_label(self, question):
        return question.survey.text(question.label)[:80]


@admin.register(Page)
class PageAdmin(LanguagesMixin, admin.ModelAdmin):
    list_display = ("name", "survey", "position", "short_title")
    list_filter = ("survey",)
    ordering = ("survey", "position")

    @admin.display(description=_("title"))
    def short_title(self, page):
        return page.survey.text(page.title)


class ChoiceInline(LanguagesMixin, admin.TabularInline):
    model = Choice
    extra = 0
    fields = ("position", "value", "label")


@admin.register(ChoiceList)
class ChoiceListAdmin(LanguagesMixin, admin.ModelAdmin):
    list_display = ("name", "survey", "choice_values")
    list_filter = ("survey",)
    inlines = [ChoiceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("choices")

    @admin.display(description=_("values"))
    def choice_values(self, choice_list):
        return format_html("{}", ", ".join(c.value for c in choice_list.choices.all()))


@admin.register(QuotaCell)
class QuotaCellAdmin(LanguagesMixin, admin.ModelAdmin):
    list_display = ("name", "survey", "condition", "target", "is_hard")
    list_filter = ("survey", "is_hard")
    ordering = ("survey", "position")

    def _editable(self, obj) -> bool:
        return True

    def get_readonly_fields(self, request, obj=None):
        return _frozen_cell_fields(_survey_of(obj))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _audit_fields(request, form, {"target": audit.Action.QUOTA_TARGET})

    def has_add_permission(self, request, obj=None):
        return admin.ModelAdmin.has_add_permission(self, request)

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj) and (
            obj is None or _cells_can_change(obj.survey)
        )


class WeightingMarginInline(admin.TabularInline):
    model = WeightingMargin
    extra = 0
    fields = ("position", "variable", "categories")
    readonly_fields = ("categories",)
    show_change_link = True

    @admin.display(description=_("categories and population"))
    def categories(self, margin):
        if margin.pk is None:
            return "-"
        return ", ".join(str(target) for target in margin.targets.all()) or _(
            "none yet: open the margin to enter them"
        )


@admin.register(WeightingScheme)
class WeightingSchemeAdmin(admin.ModelAdmin):
    list_display = ("survey", "margin_list", "trim_low", "trim_high", "ran", "converged")
    list_select_related = ("survey",)
    fields = (
        "survey",
        ("trim_low", "trim_high"),
        ("tolerance", "max_iterations"),
        "ran",
        "converged",
        "iterations",
        "max_error",
        "weighted",
        "last_report",
    )
    readonly_fields = ("ran", "converged", "iterations", "max_error", "weighted", "last_report")
    inlines = [WeightingMarginInline]
    # Raking's action is added by reports (reports/admin.py).
    actions: list = []

    @admin.display(description=_("margins"))
    def margin_list(self, scheme):
        return ", ".join(m.variable for m in scheme.margins.all())

    @admin.display(description=_("report"))
    def last_report(self, scheme):
        return format_html("<pre>{}</pre>", scheme.report)


class WeightingTargetInline(admin.TabularInline):
    model = WeightingTarget
    extra = 3
    fields = ("category", "population")


@admin.register(WeightingMargin)
class WeightingMarginAdmin(admin.ModelAdmin):
    list_display = ("__str__", "position")
    list_select_related = ("scheme__survey",)
    inlines = [WeightingTargetInline]
