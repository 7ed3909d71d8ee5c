"""The field manager's pages: surveys at a glance, a survey's fieldwork, the review queue."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports import access, review, selectors
from respondents.models import Verdict
from respondents.validation import submission_override
from surveys.errors import SurveyError


@login_required
def index(request: HttpRequest) -> HttpResponse:
    surveys = access.surveys_for(request.user)
    return render(request, "reports/index.html", {"rows": selectors.survey_overview(surveys)})


@login_required
def survey(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug)
    context = selectors.survey_dashboard(survey)
    context["refresh_seconds"] = settings.DASHBOARD_REFRESH_SECONDS
    context["can_review"] = request.user.has_perm("reports.review_submissions")
    return render(request, "reports/survey.html", context)


@login_required
def survey_live(request: HttpRequest, slug: str) -> HttpResponse:
    """The part of the survey page that refreshes itself while open."""
    survey = access.survey_for(request.user, slug)
    return render(request, "reports/_live.html", selectors.survey_dashboard(survey))


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, "review_submissions")
    rule = request.GET.get("rule", "")
    cell = request.GET.get("cell", "")
    page = Paginator(review.flagged(survey, rule=rule, cell=cell), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reports/review.html",
        {
            "survey": survey,
            "page": page,
            "items": review.describe(survey, page.object_list),
            "rule": rule,
            "cell": cell,
            "rules": review.rule_names(),
            "cells": survey.quota_cells.order_by("position", "name"),
        },
    )


@login_required
@require_POST
def review_decide(request: HttpRequest, slug: str) -> HttpResponse:
    """Approve or reject the chosen submissions, with a reason."""
    survey = access.survey_for(request.user, slug, "review_submissions")
    verdict = request.POST.get("verdict")
    reason = request.POST.get("reason", "").strip()
    ids = [value for value in request.POST.getlist("submission") if value.isdigit()]
    if verdict not in (Verdict.VALID, Verdict.INVALID) or not reason or not ids:
        messages.error(request, _("Choose submissions, a verdict and give a reason."))
        return redirect("reports:review", slug=slug)
    done = 0
    for submission in survey.submissions.filter(pk__in=ids):
        try:
            submission_override(submission, verdict, reason, request.user)
            done += 1
        except SurveyError as exc:
            messages.error(request, f"#{submission.pk}: {'; '.join(exc.errors)}")
    messages.success(request, _("%(n)d verdicts set.") % {"n": done})
    return redirect("reports:review", slug=slug)
