"""The preview of a questionnaire: a respondent's pages with a bar saying it is a preview.

Thin views over the page services (`respondents.pages`) given the session's store
(`respondents.preview.SessionStore`): the walk, validation, screening and end are a
respondent's; nothing is written to the database. Any role that sees the survey may
preview it, a draft too.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from reports import access
from reports.forms_questionnaire import PreviewForm
from respondents import pages
from respondents.forms import LanguageForm
from respondents.models import Submission
from respondents.preview import (
    PreviewSitting,
    SessionStore,
    preview_end,
    preview_of,
    preview_set_language,
    preview_start,
)
from respondents.views import page_context
from surveys.questionnaire import questionnaire_of

END_PAGES = (
    Submission.Status.COMPLETED,
    Submission.Status.SCREENED_OUT,
    Submission.Status.OVER_QUOTA,
)


def _render(request, template: str, sitting: PreviewSitting, context: dict) -> HttpResponse:
    """Render in the preview's language, as the respondent would see it."""
    # The bar stays in the manager's language; the page is in the respondent's.
    interface_language = translation.get_language()
    with translation.override(sitting.language):
        return render(
            request,
            template,
            {
                "survey": sitting.survey,
                "sitting": sitting,
                "language": sitting.language,
                "interface_language": interface_language,
                **context,
            },
        )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose the language and the page a preview starts at; show the end pages."""
    survey = access.survey_for(request.user, slug)
    questionnaire = questionnaire_of(survey)
    form = PreviewForm(survey, questionnaire, request.POST or None)
    if request.method == "POST" and form.is_valid():
        preview_start(
            request.session, survey, form.cleaned_data["language"], form.cleaned_data["start"]
        )
        return redirect("reports:preview_resume", slug=slug)
    return render(
        request,
        "reports/questionnaire/preview_start.html",
        {
            "survey": survey,
            "form": form,
            "has_pages": bool(questionnaire.pages),
            "end_pages": END_PAGES,
            "languages": survey.languages,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preview_welcome(request: HttpRequest, slug: str) -> HttpResponse:
    """The welcome page as a respondent first sees it; its Start begins a preview."""
    survey = access.survey_for(request.user, slug)
    form = LanguageForm(survey, request.POST or None, initial={"language": survey.default_language})
    if request.method == "POST" and form.is_valid():
        preview_start(request.session, survey, form.cleaned_data["language"])
        return redirect("reports:preview_resume", slug=slug)
    return _render(
        request,
        "reports/questionnaire/preview_welcome.html",
        PreviewSitting(survey, survey.default_language),
        {"form": form},
    )


def _sitting(request: HttpRequest, slug: str) -> PreviewSitting | None:
    survey = access.survey_for(request.user, slug)
    return preview_of(request.session, survey)


def _follow(request: HttpRequest, slug: str, outcome: pages.PageOutcome) -> HttpResponse:
    if outcome.ended:
        return redirect("reports:preview_end", slug=slug)
    if outcome.page is None:
        return redirect("reports:preview_resume", slug=slug)
    return redirect("reports:preview_page", slug=slug, page=outcome.page.name)


@never_cache
@login_required
def preview_resume(request: HttpRequest, slug: str) -> HttpResponse:
    sitting = _sitting(request, slug)
    if sitting is None:
        return redirect("reports:preview", slug=slug)
    store = SessionStore(request.session)
    return _follow(
        request, slug, pages.submission_resume(sitting, sitting.questionnaire, store=store)
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preview_page(request: HttpRequest, slug: str, page: str) -> HttpResponse:
    """One page of the preview: shown, or answered and moved on, as a respondent's."""
    sitting = _sitting(request, slug)
    if sitting is None:
        return redirect("reports:preview", slug=slug)
    questionnaire, store = sitting.questionnaire, SessionStore(request.session)
    with translation.override(sitting.language):
        if request.method == "POST":
            outcome = pages.submission_page_submit(
                sitting, questionnaire, page, request.POST, back="back" in request.POST, store=store
            )
        else:
            outcome = pages.submission_page_show(sitting, questionnaire, page, store=store)
        if outcome.next not in (pages.Next.SHOW, pages.Next.REFUSED):
            return _follow(request, slug, outcome)
        context = page_context(outcome, questionnaire)
    return _render(request, "reports/questionnaire/preview_page.html", sitting, context)


@never_cache
@login_required
def preview_end_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The end page the preview reached, or (?status=) any end page to look at."""
    survey = access.survey_for(request.user, slug)
    sitting = preview_of(request.session, survey)
    status = request.GET.get("status", "")
    language = request.GET.get("lang", "")
    if status in END_PAGES:
        sitting = PreviewSitting(
            survey,
            language if language in survey.languages else survey.default_language,
            status=status,
        )
    if sitting is None or sitting.is_open:
        return redirect("reports:preview_resume", slug=slug)
    return _render(
        request,
        "reports/questionnaire/preview_end.html",
        sitting,
        {"status": sitting.status, "submission": sitting},
    )


@login_required
@require_POST
def preview_language(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch the preview's language mid-way; the answers stay."""
    sitting = _sitting(request, slug)
    if sitting is None:
        return redirect("reports:preview", slug=slug)
    form = LanguageForm(sitting.survey, request.POST)
    if form.is_valid():
        preview_set_language(request.session, sitting, form.cleaned_data["language"])
    back_to = request.POST.get("page", "")
    if sitting.questionnaire.page(back_to) is not None:
        return redirect("reports:preview_page", slug=slug, page=back_to)
    return redirect("reports:preview_resume", slug=slug)


@login_required
@require_POST
def preview_restart(request: HttpRequest, slug: str) -> HttpResponse:
    """End the preview: back to choosing where to start."""
    survey = access.survey_for(request.user, slug)
    preview_end(request.session, survey)
    return redirect("reports:preview", slug=slug)
