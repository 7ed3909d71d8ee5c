"""Test mode in /manage/: make test links, follow them, discard their data.

Thin views over `respondents.testmode`; a field manager with the right to run
fieldwork ("run_fieldwork") on the survey, else 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from reports import access
from respondents import testmode
from surveys import schedule
from surveys.errors import SurveyError

PERMISSION = "run_fieldwork"


class TestLinksForm(forms.Form):
    count = forms.IntegerField(
        label=gettext_lazy("Number of test links"),
        min_value=1,
        max_value=testmode.MAX_TEST_LINKS,
        initial=3,
    )


@login_required
def test_mode(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    links = [
        {
            "respondent": respondent,
            "url": request.build_absolute_uri(respondent.get_absolute_url()),
            "submission": getattr(respondent, "submission", None),
        }
        for respondent in testmode.links_of(survey)[:200]
    ]
    return render(
        request,
        "reports/test_mode.html",
        {
            "survey": survey,
            "form": TestLinksForm(),
            "links": links,
            "counts": testmode.counts_of(survey),
            "closed": schedule.phase(survey) == schedule.Phase.CLOSED,
        },
    )


@login_required
@require_POST
def test_links_make(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    form = TestLinksForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("reports:test_mode", slug=slug)
    try:
        made = testmode.links_make(
            survey, form.cleaned_data["count"], user=request.user, request=request
        )
    except SurveyError as refused:
        for error in refused.errors:
            messages.error(request, error)
        return redirect("reports:test_mode", slug=slug)
    messages.success(
        request,
        ngettext("%(n)d test link made.", "%(n)d test links made.", len(made)) % {"n": len(made)},
    )
    return redirect("reports:test_mode", slug=slug)


@login_required
@require_POST
def test_link_mine(request: HttpRequest, slug: str) -> HttpResponse:
    """Make one test link and open it at once: the field manager tries the survey."""
    survey = access.survey_for(request.user, slug, PERMISSION)
    try:
        (respondent,) = testmode.links_make(survey, 1, user=request.user, request=request)
    except SurveyError as refused:
        for error in refused.errors:
            messages.error(request, error)
        return redirect("reports:test_mode", slug=slug)
    return redirect(respondent.get_absolute_url())


@login_required
@require_POST
def test_data_discard(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the test data goes."))
        return redirect("reports:test_mode", slug=slug)
    counts = testmode.data_discard(survey, user=request.user, request=request)
    messages.success(
        request,
        _("Test data discarded (test links: %(links)d, submissions: %(submissions)d).") % counts,
    )
    return redirect("reports:test_mode", slug=slug)
