"""The member's side of a message: its link (noted as opened) and the opt-out page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from fieldwork.ratelimits import respondent_limited
from mailings import messages, services
from mailings.models import OptOut, Send
from respondents.models import Respondent


@respondent_limited
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """Note that the message's link was followed, and go on to the member's own link."""
    send = get_object_or_404(Send.objects.select_related("respondent"), token=token)
    services.send_opened(send)
    return redirect(send.respondent.get_absolute_url())


# A mail program's one-click unsubscribe (RFC 8058) posts without a CSRF token; the
# signed link is what authorises the request, and opting out twice changes nothing.
@csrf_exempt
@respondent_limited
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """GET: ask (a link scanner's visit must not opt anyone out); POST: opt out."""
    respondent_id = messages.respondent_of_opt_out(token)
    if respondent_id is None:
        raise Http404
    respondent = get_object_or_404(Respondent.objects.select_related("survey"), pk=respondent_id)
    survey = respondent.survey
    language = messages.member_language(survey, respondent)
    done = OptOut.objects.filter(respondent=respondent).exists()
    if request.method == "POST":
        services.opt_out(respondent)
        done = True
    with translation.override(messages.interface_language(language)):
        return render(
            request,
            "mailings/opt_out.html",
            {"survey": survey, "language": language, "done": done, "token": token},
        )
