"""The field manager's pages: surveys at a glance, a survey's fieldwork, the review queue."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fieldwork.downloads import attachment
from fieldwork.errors import Refused
from mailings.selectors import mailing_funnel
from reports import access, datasets, export_jobs, review, sections, selectors
from reports.forms import ExportForm
from reports.models import ExportJob
from respondents.models import Verdict
from respondents.validation import submission_override


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
    context["can_export"] = request.user.has_perm("reports.export_data")
    # Sections of the apps above reports (a panel provider's outcomes, in integrations).
    context["sections"] = sections.render(request, survey)
    context["mailing"] = mailing_funnel(survey)
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
    language = request.GET.get("lang", "")
    if language not in survey.languages:
        language = selectors.survey_language(survey)
    return render(
        request,
        "reports/review.html",
        {
            "survey": survey,
            "page": page,
            "items": review.describe(survey, page.object_list, language),
            "rule": rule,
            "cell": cell,
            "rules": review.rule_names(),
            "cells": [
                (c.name, survey.text(c.label, selectors.survey_language(survey)))
                for c in survey.quota_cells.order_by("position", "name")
            ],
            "language": language,
            "languages": list(zip(survey.languages, survey.language_names, strict=True)),
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
        except Refused as exc:
            messages.error(request, f"#{submission.pk}: {'; '.join(exc.errors)}")
    messages.success(
        request, ngettext("%(n)d verdict set.", "%(n)d verdicts set.", done) % {"n": done}
    )
    return redirect("reports:review", slug=slug)


# Exports: thin views over reports.export_jobs. Every one checks export permission on the
# survey (404 otherwise); a job is found only by its unguessable token, within its survey.


@login_required
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """The export form; a small CSV streams at once, anything else becomes a job."""
    survey = access.survey_for(request.user, slug, export_jobs.PERMISSION)
    form = ExportForm(survey, request.POST or None)
    if request.method == "POST" and form.is_valid():
        fmt = form.cleaned_data["format"]
        try:
            options = export_jobs.export_options_clean(survey, fmt, form.options())
        except Refused as exc:
            for error in exc.errors:
                form.add_error(None, error)
        else:
            if (
                fmt == ExportJob.Format.CSV
                # a dataset with repeats is several files: a job zips them
                and not datasets.repeat_columns(survey)
                and export_jobs.export_row_count(survey, options) <= settings.EXPORT_STREAM_MAX_ROWS
            ):
                response = StreamingHttpResponse(
                    export_jobs.export_stream(survey, options, user=request.user, request=request),
                    content_type=export_jobs.CONTENT_TYPES["csv"],
                )
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
                response["Content-Disposition"] = content_disposition_header(
                    True, f"{survey.slug}-{stamp}.csv"
                )
                return response
            job = export_jobs.export_start(request.user, survey, fmt, options, request=request)
            return redirect("reports:export_job", slug=slug, token=job.token)
    return render(
        request,
        "reports/export.html",
        {
            "survey": survey,
            "form": form,
            "jobs": export_jobs.recent_exports(request.user, survey),
            "stream_max_rows": settings.EXPORT_STREAM_MAX_ROWS,
        },
    )


@login_required
def export_job(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """One export's progress, refreshed by static/reports/export.js, then its link."""
    survey = access.survey_for(request.user, slug, export_jobs.PERMISSION)
    job = _export_job_or_404(request, survey, token)
    return render(
        request,
        "reports/export_job.html",
        {"survey": survey, "job": job, "state": export_jobs.export_status(job)},
    )


@login_required
def export_status(request: HttpRequest, slug: str, token: str) -> JsonResponse:
    survey = access.survey_for(request.user, slug, export_jobs.PERMISSION)
    job = _export_job_or_404(request, survey, token)
    state = export_jobs.export_status(job)
    state["download_url"] = (
        reverse("reports:export_download", args=[slug, token]) if state["ready"] else ""
    )
    return JsonResponse(state, headers={"Cache-Control": "no-store"})


@login_required
def export_download(request: HttpRequest, slug: str, token: str) -> FileResponse:
    survey = access.survey_for(request.user, slug, export_jobs.PERMISSION)
    ready = export_jobs.export_file(_export_job_or_404(request, survey, token))
    if ready is None:
        raise Http404
    return attachment(ready.file, ready.filename, ready.content_type)


def _export_job_or_404(request: HttpRequest, survey, token: str):
    job = export_jobs.export_job_for(request.user, token, survey)
    if job is None:
        raise Http404
    return job


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
                survey,
                row,
                column,
                context["language"],
                weighted=context["weighted"],
                bands=request.GET.get("bands", ""),
            )
        except Refused as exc:
            context["errors"] = exc.errors
    return render(request, "reports/crosstab.html", context)


@login_required
def published(request: HttpRequest, slug: str) -> HttpResponse:
    from reports.published import agreement
    from reports.toplines import compare_published

    survey = access.survey_for(request.user, slug)
    context = _analysis_options(request, survey)
    rows = compare_published(survey, weighted=context["weighted"])
    context.update(
        {
            "rows": rows,
            "inside": sum(r.inside for r in rows),
            "agreement": agreement([r.z for r in rows]) if rows else None,
        }
    )
    return render(request, "reports/published.html", context)
