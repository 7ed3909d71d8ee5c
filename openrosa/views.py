"""The OpenRosa server: Form List API, form download, manifest and Submission API.

Thin views over `openrosa.xform` and `openrosa.instances`. Every answer carries
`X-OpenRosa-Version: 1.0`; a request without credentials gets the 401 that makes a
client send them (Basic, `openrosa.authentication`). An interviewer sees the live
surveys assigned to them; an administrator every live survey. Anything else is a 404.
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from pyxform.errors import PyXFormError

from openrosa import instances
from openrosa.authentication import REALM, CredentialsRefused, basic_authenticate
from openrosa.models import ReceivedInstance
from openrosa.xform import xform_of
from reports.access import survey_for, surveys_for
from surveys.models import Survey

logger = logging.getLogger(__name__)
XML = "text/xml; charset=utf-8"
SUBMIT_FIELD = "xml_submission_file"


def _response(body: str, status: int = 200, *, accept_length: bool = False) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=XML)
    response["X-OpenRosa-Version"] = "1.0"
    if accept_length:
        response["X-OpenRosa-Accept-Content-Length"] = str(settings.OPENROSA_MAX_BYTES)
    return response


def _message(text: str, status: int, nature: str = "") -> HttpResponse:
    """An OpenRosa response: the message a client shows to the interviewer."""
    attribute = f' nature="{nature}"' if nature else ""
    body = (
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
        f"<message{attribute}>{escape(text)}</message></OpenRosaResponse>"
    )
    return _response(body, status, accept_length=True)


def _challenge(text: str) -> HttpResponse:
    response = _message(text, 401)
    response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _interviewer(request: HttpRequest):
    """Return the authenticated interviewer, or the response to send instead."""
    try:
        user = basic_authenticate(request)
    except CredentialsRefused as refused:
        if refused.status == 401:
            return _challenge(refused.message)
        return _message(refused.message, refused.status)
    if user is None:
        return _challenge(_("Log in with your interviewer account."))
    return user


def _surveys(user):
    return surveys_for(user, "collect_interviews").filter(status=Survey.Status.LIVE)


@csrf_exempt
def form_list(request: HttpRequest) -> HttpResponse:
    """The Form List API: each form this interviewer may fill, its version and hash."""
    user = _interviewer(request)
    if isinstance(user, HttpResponse):
        return user
    surveys = _surveys(user).order_by("slug")
    wanted = request.GET.get("formID")
    if wanted:
        surveys = surveys.filter(slug=wanted)
    entries = []
    for survey in surveys:
        try:
            xform = xform_of(survey)
        except PyXFormError:
            # One questionnaire pyxform cannot convert must not hide the others.
            logger.exception("the XForm of survey %s cannot be generated", survey.slug)
            continue
        download = request.build_absolute_uri(reverse("openrosa:form", args=[survey.slug]))
        manifest = request.build_absolute_uri(reverse("openrosa:manifest", args=[survey.slug]))
        entries.append(
            "<xform>"
            f"<formID>{escape(xform.form_id)}</formID>"
            f"<name>{escape(xform.title)}</name>"
            f"<version>{escape(xform.version)}</version>"
            f"<hash>{xform.md5}</hash>"
            f"<downloadUrl>{escape(download)}</downloadUrl>"
            f"<manifestUrl>{escape(manifest)}</manifestUrl>"
            "</xform>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<xforms xmlns="http://openrosa.org/xforms/xformsList">' + "".join(entries) + "</xforms>"
    )
    return _response(body, accept_length=True)


def _survey(request: HttpRequest, slug: str):
    user = _interviewer(request)
    if isinstance(user, HttpResponse):
        return user, None
    survey = _surveys(user).filter(slug=slug).first()
    if survey is None:
        return _message(_("No such form for this account."), 404), None
    return user, survey


@csrf_exempt
def form(request: HttpRequest, slug: str) -> HttpResponse:
    """The XForm of a survey, as pyxform generates it from the current questionnaire."""
    user, survey = _survey(request, slug)
    if survey is None:
        return user
    try:
        return _response(xform_of(survey).xml)
    except PyXFormError:
        logger.exception("the XForm of survey %s cannot be generated", survey.slug)
        return _message(
            _("This form cannot be generated for tablets. Tell the survey's administrator."),
            500,
        )


@csrf_exempt
def manifest(request: HttpRequest, slug: str) -> HttpResponse:
    """The form's media files: none (the questionnaires have no images or audio)."""
    user, survey = _survey(request, slug)
    if survey is None:
        return user
    return _response(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest xmlns="http://openrosa.org/xforms/xformsManifest"></manifest>'
    )


@csrf_exempt
def submission(request: HttpRequest) -> HttpResponse:
    """The Submission API: HEAD to learn the limits, POST an instance (multipart)."""
    user = _interviewer(request)
    if isinstance(user, HttpResponse):
        return user
    if request.method == "HEAD":
        return _response("", 204, accept_length=True)
    if request.method != "POST":
        response = _message(_("Send the instance with POST."), 405)
        response["Allow"] = "HEAD, POST"
        return response
    upload = request.FILES.get(SUBMIT_FIELD)
    if upload is None:
        return _message(
            _("The request has no %(field)s part.") % {"field": SUBMIT_FIELD}, 400, "error"
        )
    if upload.size > settings.OPENROSA_MAX_BYTES:
        return _message(_("The instance is larger than this server accepts."), 413, "error")
    xml = upload.read()
    try:
        instance = instances.instance_parse(xml)
    except instances.InstanceError as wrong:
        return _message(str(wrong), 400, "error")
    survey = _surveys(user).filter(slug=instance.form_id).first()
    if survey is None:
        # A closed survey's instances are still kept, for the field manager to see.
        survey = surveys_for(user, "collect_interviews").filter(slug=instance.form_id).first()
    if survey is None:
        return _message(
            _("This account may not send interviews for form '%(form)s'.")
            % {"form": instance.form_id},
            403,
            "error",
        )
    received, new = instances.instance_receive(
        survey, xml, instance, user, user_agent=request.META.get("HTTP_USER_AGENT", "")
    )
    if received.state == ReceivedInstance.State.ACCEPTED:
        text = _("Interview received and stored.") if new else _("Already received and stored.")
        return _message(text, 201, "submit_success")
    # Kept, not counted: success for the client (it need not send it again), with why.
    text = _("Received, but not counted: %(reason)s. A field manager will review it.") % {
        "reason": received.reason.rstrip(".")
    }
    return _message(text, 202, "submit_success")


# The field manager's page of a survey's received instances (under /manage/): who sent
# what, which were rejected and why, and processing rejected ones again.


@login_required
def received(request: HttpRequest, slug: str) -> HttpResponse:
    survey = survey_for(request.user, slug, "review_submissions")
    state = request.GET.get("state", ReceivedInstance.State.REJECTED)
    instances_ = ReceivedInstance.objects.filter(survey=survey).select_related(
        "interviewer", "submission"
    )
    if state in ReceivedInstance.State.values:
        instances_ = instances_.filter(state=state)
    page = Paginator(instances_, 25).get_page(request.GET.get("page"))
    counts = dict(
        ReceivedInstance.objects.filter(survey=survey)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    return render(
        request,
        "openrosa/received.html",
        {
            "survey": survey,
            "page": page,
            "state": state,
            "states": [
                (value, label, counts.get(value, 0))
                for value, label in ReceivedInstance.State.choices
            ],
        },
    )


@login_required
@require_POST
def process_again(request: HttpRequest, slug: str) -> HttpResponse:
    """Process the chosen rejected instances again with the current questionnaire."""
    survey = survey_for(request.user, slug, "review_submissions")
    ids = [value for value in request.POST.getlist("instance") if value.isdigit()]
    chosen = ReceivedInstance.objects.filter(
        survey=survey, pk__in=ids, state=ReceivedInstance.State.REJECTED
    )
    if not ids:
        messages.error(request, _("Choose the instances to process again."))
    accepted = 0
    for instance in chosen:
        if instances.instance_process_again(instance).state == ReceivedInstance.State.ACCEPTED:
            accepted += 1
    if ids:
        messages.success(
            request,
            ngettext(
                "%(n)d instance processed again and stored.",
                "%(n)d instances processed again and stored.",
                accepted,
            )
            % {"n": accepted},
        )
    return redirect(reverse("openrosa_manage:received", args=[slug]) + "?state=rejected")
