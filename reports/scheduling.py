"""The fieldwork schedule in /manage/: where the survey stands, pause, resume, extend.

Thin views over `surveys.schedule`, for those with the right to run fieldwork on the
survey ("run_fieldwork"), else 404. Every change is in the audit log.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from audit.models import AuditEntry
from reports import access
from surveys import schedule
from surveys.errors import SurveyError
from surveys.models import Survey

PERMISSION = "run_fieldwork"


class ExtendForm(forms.Form):
    fieldwork_end = forms.DateField(
        label=gettext_lazy("New last day of fieldwork"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


@login_required
def schedule_page(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    return render(
        request,
        "reports/schedule.html",
        {
            "survey": survey,
            "phase": schedule.phase(survey).value,
            "refusal": schedule.refusal(survey),
            "form": ExtendForm(initial={"fieldwork_end": survey.fieldwork_end}),
            "history": [
                (entry, _history_line(entry))
                for entry in AuditEntry.objects.filter(
                    survey=survey,
                    action__in=[AuditEntry.Action.SURVEY_STATUS, AuditEntry.Action.FIELDWORK_DATES],
                )[:20]
            ],
        },
    )


def _history_line(entry: AuditEntry) -> str:
    """Say what an entry of the schedule's history changed, in the interface's language."""
    details = entry.details
    if entry.action == AuditEntry.Action.SURVEY_STATUS:
        return f"{_status(details.get('from'))} → {_status(details.get('to'))}"
    end = details.get("fieldwork_end", {})
    return _("end of fieldwork: %(before)s → %(after)s (“%(reason)s”)") % {
        "before": end.get("from") or "—",
        "after": end.get("to") or "—",
        "reason": details.get("reason", ""),
    }


def _status(value) -> str:
    return str(Survey.Status(value).label) if value in Survey.Status.values else str(value)


def _refused(request: HttpRequest, refused: SurveyError) -> None:
    for error in refused.errors:
        messages.error(request, error)


@login_required
@require_POST
def fieldwork_pause(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    try:
        schedule.fieldwork_pause(survey, user=request.user)
        messages.success(request, _("Fieldwork is paused: links take no answers until it resumes."))
    except SurveyError as refused:
        _refused(request, refused)
    return redirect("reports:schedule", slug=slug)


@login_required
@require_POST
def fieldwork_resume(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    try:
        schedule.fieldwork_resume(survey, user=request.user)
        messages.success(request, _("Fieldwork has resumed."))
    except SurveyError as refused:
        _refused(request, refused)
    return redirect("reports:schedule", slug=slug)


@login_required
@require_POST
def fieldwork_extend(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            schedule.fieldwork_extend(
                survey,
                form.cleaned_data["fieldwork_end"],
                form.cleaned_data["reason"],
                user=request.user,
                request=request,
            )
            messages.success(request, _("The end of fieldwork has moved."))
        except SurveyError as refused:
            _refused(request, refused)
    else:
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[name].label}: {error}")
    return redirect("reports:schedule", slug=slug)
