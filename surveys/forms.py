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
