"""Quota targets in /manage/: see every cell's target and change them, with a reason.

Those who may see the dashboard see the targets; those with "edit_targets" change them
through `surveys.targets.quota_targets_set`, which audits each change.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.models import AuditEntry
from reports import access
from reports.selectors import survey_language
from surveys import schedule
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.targets import MAX_TARGET, quota_targets_set

PERMISSION = "edit_targets"


class TargetsForm(forms.Form):
    """One number per cell (field `cell-<name>`), the sample target and a reason."""

    sample_target = forms.IntegerField(
        label=gettext_lazy("Sample target (valid questionnaires)"),
        min_value=0,
        max_value=MAX_TARGET,
    )
    reason = forms.CharField(label=gettext_lazy("Reason for the change"), max_length=500)

    def __init__(self, survey: Survey, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        language = survey_language(survey)
        self.cells = list(survey.quota_cells.order_by("position", "name"))
        self.fields["sample_target"].initial = survey.sample_target
        for cell in self.cells:
            self.fields[f"cell-{cell.name}"] = forms.IntegerField(
                label=survey.text(cell.label, language) or cell.name,
                min_value=0,
                max_value=MAX_TARGET,
                initial=cell.target,
            )

    def rows(self):
        """Each cell with its bound field, for the table."""
        return [(cell, self[f"cell-{cell.name}"]) for cell in self.cells]

    def targets(self) -> dict[str, int]:
        return {cell.name: self.cleaned_data[f"cell-{cell.name}"] for cell in self.cells}


@login_required
def targets(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug)
    can_edit = request.user.has_perm(f"reports.{PERMISSION}")
    form = TargetsForm(survey, request.POST or None)
    if request.method == "POST":
        if not can_edit:
            messages.error(request, _("You may not change this survey's targets."))
            return redirect("reports:targets", slug=slug)
        if form.is_valid():
            try:
                changes = quota_targets_set(
                    survey,
                    form.targets(),
                    form.cleaned_data["reason"],
                    sample_target=form.cleaned_data["sample_target"],
                    user=request.user,
                    request=request,
                )
            except SurveyError as refused:
                for error in refused.errors:
                    messages.error(request, error)
            else:
                messages.success(
                    request,
                    ngettext("%(n)d target changed.", "%(n)d targets changed.", len(changes))
                    % {"n": len(changes)},
                )
                return redirect("reports:targets", slug=slug)
    history = AuditEntry.objects.filter(survey=survey, action=AuditEntry.Action.QUOTA_TARGET)[:20]
    return render(
        request,
        "reports/targets.html",
        {
            "survey": survey,
            "form": form,
            "can_edit": can_edit and schedule.phase(survey) != schedule.Phase.CLOSED,
            "history": [(entry, _history_line(entry)) for entry in history],
            "closed": schedule.phase(survey) == schedule.Phase.CLOSED,
            "hard_total": sum(cell.target for cell in form.cells if cell.is_hard),
        },
    )


def _history_line(entry: AuditEntry) -> str:
    details = entry.details
    change = details.get("target") or details.get("sample_target") or {}
    what = entry.target if "target" in details else _("sample target")
    line = f"{what}: {change.get('from')} → {change.get('to')}"
    if details.get("reason"):
        line += f" (“{details['reason']}”)"
    return line
