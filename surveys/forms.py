"""Form fields for editing translated texts: one input per survey language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from surveys.definition import CONTROL_CHARACTERS
from surveys.models import language_name


class TranslationsWidget(forms.MultiWidget):
    """One text box per language, each labelled with the language's name."""

    template_name = "surveys/widgets/translations.html"

    def __init__(self, languages: list[str] | None = None, attrs=None) -> None:
        self.languages = list(languages or [])
        widgets = {code: forms.Textarea(attrs={"rows": 2, "cols": 60}) for code in self.languages}
        super().__init__(widgets, attrs)

    def decompress(self, value):
        value = value or {}
        return [value.get(code, "") for code in self.languages]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for code, subwidget in zip(self.languages, context["widget"]["subwidgets"], strict=True):
            subwidget["language"] = f"{language_name(code)} ({code})"
        return context


class TranslatedTextFormField(forms.Field):
    """Edit a ``{language code: text}`` value with one box per language."""

    def __init__(self, *, languages: list[str] | None = None, encoder=None, decoder=None, **kwargs):
        self.languages = list(languages or [code for code, _ in settings.LANGUAGES])
        kwargs.setdefault("widget", TranslationsWidget(self.languages))
        # A model field with a callable default (dict) asks for its initial value in a
        # hidden input, which holds the dict as text and would read back as changed on
        # every save: compare with the value loaded instead.
        kwargs["show_hidden_initial"] = False
        super().__init__(**kwargs)

    def set_languages(self, languages: list[str]) -> None:
        """Show a box for each of `languages` (and for any language already holding text)."""
        self.languages = list(languages)
        self.widget = TranslationsWidget(self.languages)

    def to_python(self, value) -> dict[str, str]:
        if isinstance(value, dict):
            return {code: str(text).strip() for code, text in value.items() if str(text).strip()}
        values = value or []
        return {
            code: text.strip()
            for code, text in zip(self.languages, values, strict=False)
            if text and text.strip()
        }

    def validate(self, value: dict[str, str]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if any(CONTROL_CHARACTERS.search(text) for text in value.values()):
            raise forms.ValidationError(_("The text contains a control character."))

    def has_changed(self, initial, data) -> bool:
        return (initial or {}) != self.to_python(data)


class TranslatedModelForm(forms.ModelForm):
    """A model form whose translated fields show the survey's languages.

    Subclasses get `languages` set by `with_languages` (the admin knows the survey only
    when it builds the form class, not when a form is instantiated inside a formset).
    """

    languages: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.languages:
            return
        for name, field in self.fields.items():
            if isinstance(field, TranslatedTextFormField):
                present = self.initial.get(name) or {}
                extra = [code for code in present if code not in self.languages]
                field.set_languages(self.languages + extra)

    @classmethod
    def with_languages(cls, form_class: type[forms.ModelForm], languages: list[str]):
        """Return `form_class` set to show `languages`."""
        return type(form_class.__name__, (form_class,), {"languages": list(languages)})


LANGUAGE_SLOTS = 4


def language_choices() -> list[tuple[str, str]]:
    """Every language Django knows, as "Name (code)", by name; the interface's first."""
    from django.conf.locale import LANG_INFO

    known = {
        code: f"{info['name']} ({code})"
        for code, info in LANG_INFO.items()
        if "name" in info and code != "zh-cn" and code != "zh-tw"
    }
    first = [code for code, _name in settings.LANGUAGES]
    ordered = first + sorted((c for c in known if c not in first), key=lambda c: known[c])
    return [(code, known.get(code, code)) for code in ordered]


class LanguageListWidget(forms.MultiWidget):
    """A few drop-down lists: the survey's languages in display order."""

    def __init__(self, choices, slots: int = LANGUAGE_SLOTS, attrs=None) -> None:
        options = [("", "—"), *choices]
        super().__init__([forms.Select(choices=options) for _ in range(slots)], attrs)

    def decompress(self, value):
        codes = list(value or [])
        return (codes + [""] * len(self.widgets))[: len(self.widgets)]


class LanguageListField(forms.MultiValueField):
    """The survey's languages chosen from lists, in order, instead of typed as JSON.

    A code the list does not know (one a survey already holds) stays a choice.
    """

    def __init__(self, *, slots: int = LANGUAGE_SLOTS, encoder=None, decoder=None, **kwargs):
        self.slots = slots
        kwargs.pop("max_length", None)
        choices = language_choices()
        fields = [forms.ChoiceField(choices=choices, required=False) for _ in range(slots)]
        kwargs.setdefault("widget", LanguageListWidget(choices, slots))
        kwargs.setdefault(
            "help_text",
            _("The questionnaire's languages, in the order respondents see them."),
        )
        super().__init__(fields, require_all_fields=False, **kwargs)

    def keep_codes(self, codes) -> None:
        """Offer `codes` (those a survey already has) even when Django does not know them."""
        choices = language_choices()
        extra = [(code, code) for code in codes or [] if code not in dict(choices)]
        for field in self.fields:
            field.choices = [*choices, *extra]
        self.widget = LanguageListWidget([*choices, *extra], self.slots)

    def compress(self, data_list) -> list[str]:
        codes = [code for code in data_list or [] if code]
        if len(set(codes)) != len(codes):
            raise forms.ValidationError(_("A language is chosen twice."))
        return codes

    def validate(self, value) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial, data) -> bool:
        try:
            return list(initial or []) != self.compress(data)
        except forms.ValidationError:
            return True
