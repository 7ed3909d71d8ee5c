"""The questionnaire pages of /manage/: upload, the import report, download, publish, copy.

Thin views over `surveys.uploads`, `surveys.preflight`, `surveys.services` and
`surveys.waves`. Uploading, publishing and copying need `manage_questionnaires`
(administrators, `reports.access`); any role that sees a survey may read its page,
download its XLSForm and preview it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports import access
from reports.forms_questionnaire import CopyForm, UploadForm
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.preflight import survey_preflight
from surveys.selectors import survey_definition
from surveys.services import ImportResult, survey_set_status
from surveys.uploads import survey_import_upload
from surveys.waves import study_waves, survey_copy
from surveys.xlsform.reader import locate
from surveys.xlsform.writer import write_xlsform

DOWNLOAD_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _may_manage(user) -> bool:
    return user.has_perm(f"reports.{access.MANAGE_QUESTIONNAIRES}")


def _report(
    request: HttpRequest,
    survey: Survey | None,
    *,
    result: ImportResult | None = None,
    errors: list[str] | None = None,
    file_name: str = "",
) -> HttpResponse:
    """The import report: what changed and what was left out, or every problem found."""
    return render(
        request,
        "reports/questionnaire/report.html",
        {
            "survey": survey,
            "result": result,
            "problems": [locate(line) for line in errors or []],
            "file_name": file_name,
            "changes": result.changes if result else [],
            "skipped": [locate(line) for line in (result.skipped if result else [])],
        },
        status=200 if errors is None else 400,
    )


@login_required
def survey_new(request: HttpRequest) -> HttpResponse:
    """Create a survey by uploading its XLSForm and choosing its slug."""
    if not _may_manage(request.user) or not request.user.has_perm("reports.see_all_surveys"):
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, new=True)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = survey_import_upload(
                upload,
                form.cleaned_data["slug"],
                new=True,
                skip_unsupported=form.cleaned_data["skip_unsupported"],
                user=request.user,
            )
        except SurveyError as exc:
            return _report(request, None, errors=exc.errors, file_name=upload.name)
        return _report(request, result.survey, result=result, file_name=upload.name)
    return render(request, "reports/questionnaire/new.html", {"form": form})


@login_required
def questionnaire(request: HttpRequest, slug: str) -> HttpResponse:
    """A survey's questionnaire: upload again, download, preview, publish, copy, waves."""
    survey = access.survey_for(request.user, slug)
    return _questionnaire_page(request, survey)


def _questionnaire_page(
    request: HttpRequest, survey: Survey, *, refused: list[str] | None = None, status=200, **forms
) -> HttpResponse:
    definition = survey_definition(survey)
    can_manage = _may_manage(request.user)
    return render(
        request,
        "reports/questionnaire/page.html",
        {
            "survey": survey,
            "pages": len(definition.pages),
            "questions": sum(1 for _question in definition.questions()),
            "can_manage": can_manage,
            "is_draft": survey.status == Survey.Status.DRAFT,
            "upload_form": forms.get("upload_form") or UploadForm(),
            "copy_form": forms.get("copy_form") or CopyForm(),
            "preflight": survey_preflight(survey) if survey.status == Survey.Status.DRAFT else None,
            "refused": refused or [],
            "waves": access.surveys_for(request.user)
            .filter(pk__in=study_waves(survey).values("pk"))
            .order_by("wave", "created"),
        },
        status=status,
    )


@login_required
@require_POST
def questionnaire_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload the XLSForm again onto a draft: its report lists what changed."""
    survey = access.survey_for(request.user, slug, access.MANAGE_QUESTIONNAIRES)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _questionnaire_page(request, survey, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = survey_import_upload(
            upload,
            survey.slug,
            new=False,
            skip_unsupported=form.cleaned_data["skip_unsupported"],
            user=request.user,
        )
    except SurveyError as exc:
        return _report(request, survey, errors=exc.errors, file_name=upload.name)
    return _report(request, result.survey, result=result, file_name=upload.name)


@login_required
def questionnaire_download(request: HttpRequest, slug: str) -> HttpResponse:
    """The questionnaire as an XLSForm (.xlsx, or .csv with ?format=csv)."""
    survey = access.survey_for(request.user, slug)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in DOWNLOAD_TYPES:
        fmt = "xlsx"
    with tempfile.TemporaryDirectory(prefix="xlsform-") as directory:
        written = Path(write_xlsform(survey_definition(survey), Path(directory) / f"form.{fmt}"))
        content = written.read_bytes()
    response = HttpResponse(content, content_type=DOWNLOAD_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{survey.slug}.{fmt}")
    return response


@login_required
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Take a draft live, unless its pre-flight check finds a reason not to."""
    survey = access.survey_for(request.user, slug, access.MANAGE_QUESTIONNAIRES)
    if survey.status != Survey.Status.DRAFT:
        messages.error(request, _("Only a draft can be published."))
        return redirect("reports:questionnaire", slug=slug)
    try:
        survey_set_status(survey, Survey.Status.LIVE, user=request.user)
    except SurveyError as exc:
        return _questionnaire_page(request, survey, refused=exc.errors, status=400)
    messages.success(request, _("The survey is live: its links now take answers."))
    return redirect("reports:questionnaire", slug=slug)


@login_required
@require_POST
def copy(request: HttpRequest, slug: str) -> HttpResponse:
    """Copy the survey as a draft for a new wave of its study."""
    survey = access.survey_for(request.user, slug, access.MANAGE_QUESTIONNAIRES)
    form = CopyForm(request.POST)
    if form.is_valid():
        try:
            copied = survey_copy(survey, form.cleaned_data["slug"], user=request.user)
        except SurveyError as exc:
            for error in exc.errors:
                form.add_error("slug", error)
        else:
            messages.success(
                request,
                _("%(slug)s is a draft copy of %(source)s, wave %(wave)s of the study.")
                % {"slug": copied.slug, "source": survey.slug, "wave": copied.wave},
            )
            return redirect("reports:questionnaire", slug=copied.slug)
    return _questionnaire_page(request, survey, copy_form=form, status=400)
