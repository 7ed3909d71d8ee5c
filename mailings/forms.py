"""Forms of the panel and message pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mailings.messages import placeholder_errors
from mailings.models import MailingSchedule
from mailings.selectors import STATUSES


class PanelUploadForm(forms.Form):
    panel = forms.FileField(
        label=_("Panel file (CSV or XLSX)"),
        help_text=_(
            "Columns: panel_id; optionally language, email, name, and known answers named "
            "after the survey's questions."
        ),
    )


class SendForm(forms.Form):
    selection = forms.ChoiceField(
        label=_("Send invitations to"),
        choices=[
            ("new", _("everyone not yet e-mailed")),
            ("cell", _("members of a quota cell")),
            ("status", _("members with the status")),
        ],
        initial="new",
        widget=forms.RadioSelect,
    )
    cell = forms.ChoiceField(label=_("Quota cell"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *STATUSES.items()]
    )

    def __init__(self, *args, cells: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cell"].choices = [("", "—"), *cells]

    def clean(self):
        data = super().clean()
        if data.get("selection") == "cell" and not data.get("cell"):
            self.add_error("cell", _("Choose a quota cell."))
        if data.get("selection") == "status" and not data.get("status"):
            self.add_error("status", _("Choose a status."))
        return data


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = MailingSchedule
        fields = ["rate_per_minute", "reminder_after_days", "reminder_max"]
        widgets = {
            "rate_per_minute": forms.NumberInput(attrs={"min": 1, "max": 6000}),
            "reminder_after_days": forms.NumberInput(attrs={"min": 1, "max": 60}),
            "reminder_max": forms.NumberInput(attrs={"min": 0, "max": 10}),
        }

    def clean_rate_per_minute(self):
        rate = self.cleaned_data["rate_per_minute"]
        if not 1 <= rate <= 6000:
            raise forms.ValidationError(_("Between 1 and 6,000 messages a minute."))
        return rate

    def clean_reminder_after_days(self):
        days = self.cleaned_data["reminder_after_days"]
        if not 1 <= days <= 60:
            raise forms.ValidationError(_("Between 1 and 60 days."))
        return days

    def clean_reminder_max(self):
        count = self.cleaned_data["reminder_max"]
        if count > 10:
            raise forms.ValidationError(_("At most 10 reminders."))
        return count


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Body"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 16})
    )

    def clean(self):
        data = super().clean()
        if "subject" in data and "body" in data:
            for error in placeholder_errors(data["subject"], data["body"]):
                self.add_error(None, error)
        return data
