"""The panel provider's entry link: check it, then hand over to the respondent's flow."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from integrations.models import Provider
from integrations.providers import EntryRefused, provider_counts, provider_entry
from respondents.views import schedule_page
from surveys import schedule
from surveys.models import Survey


@never_cache
@require_GET
def entry(request: HttpRequest, survey: str, provider: str) -> HttpResponse:
    """Create or resume the respondent a provider sends, then start the normal flow."""
    provider = get_object_or_404(
        Provider.objects.select_related("survey"), survey__slug=survey, slug=provider, active=True
    )
    survey = provider.survey
    if survey.status == Survey.Status.DRAFT:
        raise Http404
    if not schedule.takes_answers(survey):
        return schedule_page(request, survey, survey.default_language)
    try:
        respondent = provider_entry(provider, request.path, request.META.get("QUERY_STRING", ""))
    except EntryRefused as refused:
        language = refused.language
        if not language:
            asked = getattr(request, "LANGUAGE_CODE", "")
            language = asked if asked in survey.languages else survey.default_language
        with translation.override(language):
            return render(
                request,
                "integrations/refused.html",
                {"survey": survey, "reason": refused.reason, "detail": refused.detail},
                status=refused.status,
            )
    return redirect("respondents:entry", token=respondent.token)


def dashboard_section(request: HttpRequest, survey: Survey) -> str:
    """The survey page's table of panel providers and their respondents' outcomes.

    Registered with `reports.sections`; "" for a survey without providers. Test links carry
    a valid signature, so only those who may review submissions see them.
    """
    base_url = request.build_absolute_uri("/")
    can_review = request.user.has_perm("reports.review_submissions")
    providers = provider_counts(survey, base_url if can_review else "")
    if not providers:
        return ""
    return render_to_string(
        "integrations/_providers.html", {"providers": providers}, request=request
    )
