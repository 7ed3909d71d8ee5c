"""The field manager's panel pages: upload a panel, see each member's status, send
invitations and reminders, and edit the messages (thin views over `mailings`)."""

from __future__ import annotations

import csv
import io

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fieldwork.errors import Refused
from fieldwork.formulas import neutralise
from mailings import messages, panel_upload, selectors, services
from mailings.forms import PanelUploadForm, ScheduleForm, SendForm, TemplateForm
from mailings.models import Kind
from reports import access
from reports.selectors import survey_language
from respondents.panel import PanelFileError
from surveys.models import language_name

# Who may upload a panel and mail it: those who may review (field managers, administrators).
PERMISSION = "review_submissions"
PAGE_SIZE = 100


def _cells(survey) -> list[tuple[str, str]]:
    language = survey_language(survey)
    return [
        (cell.name, survey.text(cell.label, language) or cell.name)
        for cell in survey.quota_cells.order_by("position", "name")
    ]


def _panel_context(request: HttpRequest, survey, **forms) -> dict:
    status = request.GET.get("status", "")
    search = request.GET.get("q", "").strip()[:100]
    members = selectors.panel_members(survey, status, search).select_related("submission")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    waves = selectors.waves(survey)
    return {
        "survey": survey,
        "page": page,
        "status": status if status in selectors.STATUSES else "",
        "q": search,
        "statuses": [
            (name, label, count)
            for (name, label), count in zip(
                selectors.STATUSES.items(), selectors.status_counts(survey).values(), strict=True
            )
        ],
        "upload_form": forms.get("upload_form") or PanelUploadForm(),
        "send_form": forms.get("send_form") or SendForm(cells=_cells(survey)),
        "schedule_form": forms.get("schedule_form")
        or ScheduleForm(instance=services.schedule_of(survey)),
        "waves": waves,
        "sending": any(row.waiting for row in waves),
    }


@login_required
def panel(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    return render(request, "mailings/panel.html", _panel_context(request, survey))


@login_required
@require_POST
def panel_upload_view(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    form = PanelUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _panel_context(request, survey, upload_form=form)
        return render(request, "mailings/panel.html", context, status=400)
    upload = form.cleaned_data["panel"]
    try:
        result = panel_upload.panel_upload(survey, upload)
    except PanelFileError as exc:
        context = {"survey": survey, "name": upload.name, "errors": exc.errors}
        return render(request, "mailings/panel_report.html", context, status=400)
    context = {"survey": survey, "name": upload.name, "result": result}
    return render(request, "mailings/panel_report.html", context)


@login_required
def panel_download(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The panel list (as filtered) as CSV, with each member's link."""
    survey = access.survey_for(request.user, slug, PERMISSION)
    members = selectors.panel_members(
        survey, request.GET.get("status", ""), request.GET.get("q", "").strip()[:100]
    )
    base = request.build_absolute_uri("/").rstrip("/")

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["panel_id", "name", "email", "language", "status", "link"])
        for member in members.iterator(chunk_size=2000):
            writer.writerow(
                [
                    neutralise(member.panel_id),
                    neutralise(member.name),
                    neutralise(member.email),
                    member.preferred_language,
                    member.status,
                    base + member.get_absolute_url(),
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{survey.slug}-panel.csv")
    return response


@login_required
@require_POST
def panel_send(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    form = SendForm(request.POST, cells=_cells(survey))
    if not form.is_valid():
        return render(
            request, "mailings/panel.html", _panel_context(request, survey, send_form=form), 400
        )
    selection = form.cleaned_data["selection"]
    ids, described = None, _("everyone not yet e-mailed")
    if selection == "cell":
        cell = form.cleaned_data["cell"]
        ids = selectors.in_cell(survey, cell, selectors.panel_members(survey))
        described = _("quota cell %(cell)s") % {"cell": cell}
    elif selection == "status":
        status = form.cleaned_data["status"]
        ids = list(selectors.panel_members(survey, status).values_list("pk", flat=True))
        described = _("status: %(status)s") % {"status": selectors.STATUSES[status]}
    try:
        wave = services.invitations_send(survey, ids, described, request.user)
    except Refused as exc:
        for error in exc.errors:
            flash.error(request, error)
        return redirect("reports:panel", survey.slug)
    if wave is None:
        flash.warning(
            request,
            _(
                "Nobody to invite: everyone selected was e-mailed before, has no e-mail "
                "address, opted out, bounced, started already or is ineligible."
            ),
        )
    else:
        count = wave.sends.count()
        flash.success(
            request,
            ngettext(
                "Wave %(number)s: %(count)s invitation is being sent.",
                "Wave %(number)s: %(count)s invitations are being sent.",
                count,
            )
            % {"number": wave.number, "count": count},
        )
    return redirect("reports:panel", survey.slug)


@login_required
@require_POST
def panel_schedule(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    form = ScheduleForm(request.POST, instance=services.schedule_of(survey))
    if not form.is_valid():
        return render(
            request, "mailings/panel.html", _panel_context(request, survey, schedule_form=form), 400
        )
    services.schedule_update(survey, **form.cleaned_data)
    flash.success(request, _("The sending schedule is saved."))
    return redirect("reports:panel", survey.slug)


@login_required
@require_POST
def panel_remind(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.survey_for(request.user, slug, PERMISSION)
    wave = services.reminders_send(survey, user=request.user)
    if wave is None:
        flash.info(request, _("No reminders are due now."))
    else:
        count = wave.sends.count()
        flash.success(
            request,
            ngettext(
                "Wave %(number)s: %(count)s reminder is being sent.",
                "Wave %(number)s: %(count)s reminders are being sent.",
                count,
            )
            % {"number": wave.number, "count": count},
        )
    return redirect("reports:panel", survey.slug)


@login_required
def panel_messages(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit the survey's invitation and reminder in one language, with a preview."""
    survey = access.survey_for(request.user, slug, PERMISSION)
    kind = request.GET.get("kind", Kind.INVITATION)
    if kind not in Kind.values:
        kind = Kind.INVITATION
    language = request.GET.get("language", survey.default_language)
    if language not in survey.languages:
        language = survey.default_language
    subject, body, is_default = messages.template_text(survey, kind, language)
    preview = None
    status = 200
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            if "save" in request.POST:
                services.template_save(survey, kind, language, subject, body, request.user)
                flash.success(request, _("The message is saved."))
                return redirect(f"{request.path}?kind={kind}&language={language}")
            preview = _preview(survey, kind, language, subject, body)
        else:
            status = 400
    else:
        form = TemplateForm(initial={"subject": subject, "body": body})
        preview = _preview(survey, kind, language, subject, body)
    context = {
        "survey": survey,
        "form": form,
        "kind": kind,
        "kinds": Kind.choices,
        "language": language,
        "languages": [(code, language_name(code)) for code in survey.languages],
        "is_default": is_default,
        "preview": preview,
    }
    return render(request, "mailings/messages.html", context, status=status)


def _preview(survey, kind: str, language: str, subject: str, body: str):
    """The message as a member of this language would receive it (a sample member)."""
    sample = survey.respondents.filter(preferred_language=language).exclude(name="").first()
    return messages.render(
        survey,
        kind,
        language,
        name=sample.name if sample else "",
        link=messages.site_url("/s/…/"),
        opt_out=messages.site_url("/m/…/opt-out/"),
        subject=subject,
        body=body,
    )
