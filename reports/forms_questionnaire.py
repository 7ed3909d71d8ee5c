"""Forms of the questionnaire pages: upload an XLSForm, copy for a new wave, preview."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys import limits
from surveys.models import Survey
from surveys.preflight import language_label
from surveys.questionnaire import Questionnaire


class SlugField(forms.SlugField):
    def __init__(self, **kwargs) -> None:
        super().__init__(
            label=_("Slug"),
            max_length=50,
            help_text=_(
                "The survey's short name in addresses and files: letters, digits, '-' and '_'."
            ),
            **kwargs,
        )


class UploadForm(forms.Form):
    """An XLSForm to import; with `new`, the slug of the survey it creates."""

    file = forms.FileField(
        label=_("XLSForm"),
        help_text=_("A .xlsx, .xls or .csv form of at most %(size)s MB.")
        % {"size": limits.MAX_FILE_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    skip_unsupported = forms.BooleanField(
        label=_("Skip unsupported items"),
        required=False,
        help_text=_("Import what this system supports and list what was left out."),
    )

    def __init__(self, *args, new: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if new:
            self.fields = {"slug": SlugField(), **self.fields}


class CopyForm(forms.Form):
    slug = SlugField()


class PreviewForm(forms.Form):
    """Where a preview starts: the language, and the page."""

    language = forms.ChoiceField(label=_("Language"))
    start = forms.ChoiceField(label=_("Start at page"), required=False)

    def __init__(self, survey: Survey, questionnaire: Questionnaire, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            (code, language_label(code)) for code in survey.languages
        ]
        self.fields["language"].initial = survey.default_language
        self.fields["start"].choices = [
            (page.name, f"{page.name} — {questionnaire.text(page.title)}".rstrip(" —"))
            for page in questionnaire.pages
        ]
