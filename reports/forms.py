"""The dashboard's export form; its options are checked again by export_jobs."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import ExportJob
from surveys.models import Survey, language_name


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"), choices=ExportJob.Format.choices, initial=ExportJob.Format.CSV
    )
    language = forms.ChoiceField(label=_("Language of labels"))
    labels = forms.BooleanField(
        label=_("Answers as labels rather than codes (CSV and XLSX)"), required=False
    )
    scope = forms.ChoiceField(
        label=_("Respondents"),
        choices=[("valid", _("Valid questionnaires only")), ("all", _("Every submission"))],
        initial="valid",
        widget=forms.RadioSelect,
    )
    since = forms.DateField(
        label=_("Ended on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("Ended on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    cell = forms.ChoiceField(label=_("Quota cell"), required=False)
    bom = forms.BooleanField(label=_("CSV: byte-order mark for Excel"), required=False)
    identifiers = forms.BooleanField(
        label=_("Include panel ids and IP hashes (personal data)"), required=False
    )
    include_test = forms.BooleanField(
        label=_("Include test submissions (marked in a column 'test')"), required=False
    )

    def __init__(self, survey: Survey, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(c, language_name(c)) for c in survey.languages]
        self.fields["language"].initial = survey.default_language
        self.fields["cell"].choices = [("", _("every cell"))] + [
            (name, name)
            for name in survey.quota_cells.order_by("position", "name").values_list(
                "name", flat=True
            )
        ]

    def options(self) -> dict:
        """Return the export options of a valid form, as export_jobs takes them."""
        data = self.cleaned_data
        return {
            "language": data["language"],
            "labels": data["labels"],
            "valid_only": data["scope"] == "valid",
            "identifiers": data["identifiers"],
            "bom": data["bom"],
            "since": data["since"],
            "until": data["until"],
            "cell": data["cell"] or "",
            "include_test": data["include_test"],
        }
