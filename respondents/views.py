"""The respondent's pages: the link, the language choice, the questionnaire, the end."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fieldwork.network import client_ip
from respondents import pages, rendering, selectors, services
from respondents.exits import exit_url
from respondents.forms import LanguageForm
from respondents.models import Respondent, Submission
from respondents.tokens import is_well_formed
from surveys import schedule
from surveys.models import Survey
from surveys.questionnaire import Questionnaire, questionnaire_of

OPEN_COOKIE = "fieldwork_open_{}"
OPEN_COOKIE_AGE = 365 * 24 * 3600


def _respondent(token: str) -> Respondent:
    """Return the link's respondent, with their survey and submission (one query)."""
    # A mangled token and an unknown one look the same from outside: a plain 404.
    if not is_well_formed(token):
        raise Http404
    respondent = selectors.respondent_for_link(token)
    if respondent is None:
        raise Http404
    # A draft answers its test links only (surveys.schedule).
    if respondent.survey.status == Survey.Status.DRAFT and not _is_test(respondent):
        raise Http404
    return respondent


def _is_test(respondent: Respondent) -> bool:
    return respondent.source == Respondent.Source.TEST


def _render(request, template: str, language: str, context: dict) -> HttpResponse:
    with translation.override(language):
        return render(request, template, {**context, "language": language})


def schedule_page(request: HttpRequest, survey: Survey, language: str) -> HttpResponse:
    """The page of a link whose survey takes no answers now: not open yet (with the
    opening day, in the respondent's language), paused, or closed."""
    phase = schedule.phase(survey)
    status = phase.value if phase in (schedule.Phase.NOT_OPEN, schedule.Phase.PAUSED) else "closed"
    return _render(request, "respondents/end.html", language, {"survey": survey, "status": status})


def _end_page(request, submission: Submission) -> HttpResponse:
    # A panel provider's respondent goes back to the provider with the outcome.
    back_to_provider = exit_url(submission)
    if back_to_provider and request.method == "POST":
        # Browsers apply the form page's CSP form-action to a redirect that answers a
        # form, and refuse one to another site; a page that moves on by itself is a new
        # navigation, which nothing refuses.
        return _render(
            request,
            "respondents/exit.html",
            submission.language,
            {"survey": submission.survey, "exit_url": back_to_provider},
        )
    if back_to_provider:
        return redirect(back_to_provider)
    return _render(
        request,
        "respondents/end.html",
        submission.language,
        {
            "survey": submission.survey,
            "submission": submission,
            "status": submission.status,
            "test_link": submission.is_test,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, token: str) -> HttpResponse:
    """Show the welcome and language choice, or send the respondent where they left off."""
    respondent = _respondent(token)
    survey = respondent.survey
    submission = selectors.submission_of(respondent)
    if submission is not None:
        if not submission.is_open:
            return _end_page(request, submission)
        return redirect("respondents:resume", token=token)
    preferred = respondent.preferred_language or survey.default_language
    if not schedule.takes_answers(survey, test=_is_test(respondent)):
        return schedule_page(request, survey, preferred)
    form = LanguageForm(survey, request.POST or None, initial={"language": preferred})
    if request.method == "POST" and form.is_valid():
        services.submission_start(
            respondent,
            form.cleaned_data["language"],
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ip=client_ip(request),
        )
        return redirect("respondents:resume", token=token)
    return _render(
        request,
        "respondents/welcome.html",
        preferred,
        {"survey": survey, "form": form, "test_link": _is_test(respondent)},
    )


def _follow(request, token: str, outcome: pages.PageOutcome) -> HttpResponse:
    """Send the respondent where a page service's outcome says, when it is not a page."""
    if outcome.ended:
        return _end_page(request, outcome.submission)
    if outcome.next is pages.Next.CLOSED:
        submission = outcome.submission
        return schedule_page(request, submission.survey, submission.language)
    if outcome.page is None:
        return redirect("respondents:resume", token=token)
    return redirect("respondents:page", token=token, page=outcome.page.name)


@never_cache
def resume(request: HttpRequest, token: str) -> HttpResponse:
    """Send the respondent to the first page they have not answered."""
    respondent = _respondent(token)
    submission = selectors.submission_of(respondent)
    if submission is None:
        return redirect("respondents:entry", token=token)
    return _follow(
        request, token, pages.submission_resume(submission, questionnaire_of(respondent.survey))
    )


@never_cache
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, token: str, page: str) -> HttpResponse:
    """Show one page of questions; on Next, validate and store it, then move on."""
    respondent = _respondent(token)
    submission = selectors.submission_of(respondent)
    if submission is None:
        return redirect("respondents:entry", token=token)
    questionnaire = questionnaire_of(respondent.survey)
    with translation.override(submission.language):
        if request.method == "POST":
            outcome = pages.submission_page_submit(
                submission, questionnaire, page, request.POST, back="back" in request.POST
            )
        else:
            outcome = pages.submission_page_show(submission, questionnaire, page)
        if outcome.next not in (pages.Next.SHOW, pages.Next.REFUSED):
            return _follow(request, token, outcome)
        return _render_page(request, outcome, questionnaire)


def _render_page(
    request: HttpRequest, outcome: pages.PageOutcome, questionnaire: Questionnaire
) -> HttpResponse:
    """Render a page to answer: afresh, or with the answers refused and why."""
    context = page_context(outcome, questionnaire)
    return _render(request, "respondents/page.html", context["language"], context)


def page_context(outcome: pages.PageOutcome, questionnaire: Questionnaire) -> dict:
    """Return what `respondents/page.html` shows of a page to answer (a SHOW or REFUSED
    outcome), for a respondent or a preview (`reports`)."""
    submission, current, walk, form = outcome.submission, outcome.page, outcome.walk, outcome.form
    language, known, answers = submission.language, walk.known, walk.answers
    if form is not None:
        questions = form.rendered_questions()
    else:
        # Nothing posted: the questions come from the process's memo, and the page
        # form is built only to render one not kept yet.
        questions = rendering.page_questions(current, questionnaire, language, answers, known)
    return {
        "language": language,
        "survey": submission.survey,
        "submission": submission,
        "page": current,
        "page_title": questionnaire.text(current.title, language),
        "form": form,  # the answers refused, when they were
        "questions": questions,
        "has_errors": form is not None,
        "progress": walk.progress(current),
        "is_first": walk.neighbour(current, -1) is None,
        # No page follows on the answers so far: its button says Submit.
        "is_last": walk.neighbour(current, +1) is None,
        "answers": {**known, **answers},
        "language_form": LanguageForm(submission.survey, initial={"language": language}),
        "test_link": getattr(submission, "is_test", False),
    }


@require_POST
def change_language(request: HttpRequest, token: str) -> HttpResponse:
    """Switch the questionnaire's language mid-way; answers stay as they are."""
    respondent = _respondent(token)
    submission = selectors.submission_of(respondent)
    if submission is None:
        raise Http404
    form = LanguageForm(respondent.survey, request.POST)
    if form.is_valid():
        services.submission_set_language(submission, form.cleaned_data["language"])
    back_to = request.POST.get("page", "")
    # Compared in Python: a posted NUL is no page name, and PostgreSQL refuses it in a query.
    if back_to in respondent.survey.pages.values_list("name", flat=True):
        # The page view itself sends the respondent on if this page is not theirs.
        return redirect("respondents:page", token=token, page=back_to)
    return redirect("respondents:resume", token=token)


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, slug: str) -> HttpResponse:
    """Let a self-selected respondent start, once per browser."""
    # A paused survey's open link leads on to the page that says so.
    survey = get_object_or_404(
        Survey,
        slug=slug,
        open_link=True,
        status__in=[Survey.Status.LIVE, Survey.Status.PAUSED],
    )
    cookie = OPEN_COOKIE.format(survey.pk)
    token = request.get_signed_cookie(cookie, default=None, salt="respondents.open")
    if token and Respondent.objects.filter(token=token, survey=survey).exists():
        return redirect("respondents:entry", token=token)
    if request.method == "GET":
        return _render(
            request, "respondents/open.html", survey.default_language, {"survey": survey}
        )
    respondent = services.respondent_open(survey)
    response = redirect("respondents:entry", token=respondent.token)
    response.set_signed_cookie(
        cookie,
        respondent.token,
        salt="respondents.open",
        max_age=OPEN_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
