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


# Toplines, crosstabs and the published figures: thin views over reports.toplines,
# reports.crosstabs and reports.weighting.


def _analysis_options(request: HttpRequest, survey) -> dict:
    """Read the chosen language and weighting, refusing neither: bad values fall back."""
    from reports.weighting import weights_state

    language = request.GET.get("lang", "")
    if language not in survey.languages:
        language = survey.default_language
    can_weight, why_not = weights_state(survey)
    return {
        "survey": survey,
        "language": language,
        "languages": list(zip(survey.languages, survey.language_names, strict=True)),
        "weighted": can_weight and request.GET.get("weighted") == "1",
        "can_weight": can_weight,
        "why_not_weighted": why_not,
    }


@login_required
def toplines(request: HttpRequest, slug: str) -> HttpResponse:
    from reports.toplines import toplines as toplines_build

    survey = access.survey_for(request.user, slug)
    context = _analysis_options(request, survey)
    context["report"] = toplines_build(survey, context["language"], weighted=context["weighted"])
    return render(request, "reports/toplines.html", context)


@login_required
def toplines_download(request: HttpRequest, slug: str) -> HttpResponse:
    from reports.toplines import toplines as toplines_build
    from reports.toplines import toplines_csv, toplines_xlsx

    survey = access.survey_for(request.user, slug)
    options = _analysis_options(request, survey)
    report = toplines_build(survey, options["language"], weighted=options["weighted"])
    name = f"{survey.slug}-toplines-{options['language']}{'-weighted' if report.weighted else ''}"
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            toplines_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(toplines_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
def crosstab(request: HttpRequest, slug: str) -> HttpResponse:
    from reports.crosstabs import crosstab as crosstab_build
    from reports.crosstabs import crosstab_choices

    survey = access.survey_for(request.user, slug)
    context = _analysis_options(request, survey)
    rows, columns = crosstab_choices(survey, context["language"])
    row = request.GET.get("row") or (rows[-1].variable if rows else "")
    column = request.GET.get("col") or (columns[0].variable if columns else "")
    context.update({"rows": rows, "columns": columns, "row": row, "col": column, "table": None})
    if row and column:
        try:
            context["table"] = crosstab_build(
                survey, row, column, context["language"], weighted=context["weighted"]
            )
        except SurveyError as exc:
            context["errors"] = exc.errors
    return render(request, "reports/crosstab.html", context)


@login_required
def published(request: HttpRequest, slug: str) -> HttpResponse:
    from reports.toplines import compare_published

    survey = access.survey_for(request.user, slug)
    rows = compare_published(survey)
    return render(
        request,
        "reports/published.html",
        {"survey": survey, "rows": rows, "inside": sum(r.inside for r in rows)},
    )
