"""The REST API, version 1: thin views over the same selectors and services as the pages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.exceptions import validation_body
from api.pagination import SubmissionCursor
from api.services import IdempotencyConflict, submission_ingest_once
from fieldwork.downloads import attachment
from fieldwork.errors import Refused
from reports import export_jobs
from reports.access import surveys_for
from reports.models import ExportJob
from respondents.ingestion import IngestionError, Interview
from respondents.models import Submission
from respondents.selectors import submissions_matching
from respondents.validation import submission_override
from surveys.models import Survey
from surveys.selectors import cell_names, quota_table

NEEDS = {  # translated when shown, in the language of that request
    "review_submissions": gettext_lazy("review submissions (a field manager or an administrator)"),
    "export_data": gettext_lazy("export data (a field manager or an administrator)"),
}
ERRORS = {
    code: OpenApiResponse(s.ErrorSerializer, description=text)
    for code, text in {
        400: "The request is not valid; `errors` names each field.",
        401: "No or an unknown token.",
        403: "The survey is yours to see, but not this action.",
        404: "No such survey (or not one assigned to you), or no such item.",
        409: "The request conflicts with what is stored.",
    }.items()
}


def errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def survey_or_404(request: Request, slug: str, permission: str = "view_dashboard") -> Survey:
    """Return the survey the user may see, else 404; 403 when the action needs more."""
    survey = surveys_for(request.user, "view_dashboard").filter(slug=slug).first()
    if survey is None:
        raise exceptions.NotFound(
            _("No survey '%(slug)s' is assigned to you (or it does not exist).") % {"slug": slug}
        )
    if permission != "view_dashboard" and not request.user.has_perm(f"reports.{permission}"):
        raise exceptions.PermissionDenied(
            _("Your role may not %(action)s on survey '%(slug)s'.")
            % {"action": NEEDS[permission], "slug": slug}
        )
    return survey


def shown_to(request: Request) -> dict:
    """Panel ids are personal data: shown to those who may export them, as exports do."""
    return {"identifiers": request.user.has_perm("reports.export_data")}


def with_related(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    """`submissions` with what their serializer reads, fetched with them."""
    return submissions.select_related(
        "survey", "respondent", "ingestion_key", "interviewer"
    ).prefetch_related("slots__cell")


def submissions_of(survey: Survey) -> QuerySet[Submission]:
    return with_related(survey.submissions.all())


class SurveyList(generics.GenericAPIView):
    serializer_class = s.SurveySerializer
    pagination_class = None

    @extend_schema(
        summary="The surveys you may see",
        responses={200: s.SurveySerializer(many=True), **errors(401)},
    )
    def get(self, request: Request) -> Response:
        surveys = surveys_for(request.user, "view_dashboard").order_by("slug")
        return Response(s.SurveySerializer(surveys, many=True).data)


class SurveyDetail(generics.GenericAPIView):
    serializer_class = s.SurveyDetailSerializer

    @extend_schema(
        summary="A survey with its questionnaire",
        responses={200: s.SurveyDetailSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(s.SurveyDetailSerializer(survey_or_404(request, slug)).data)


class QuotaList(generics.GenericAPIView):
    serializer_class = s.QuotaCellSerializer
    pagination_class = None

    @extend_schema(
        summary="Quota status per cell",
        responses={200: s.QuotaCellSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(
            s.QuotaCellSerializer(quota_table(survey_or_404(request, slug)), many=True).data
        )


MAX_KEY = 200
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": r"\S"},
    OpenApiParameter.HEADER,
    required=True,
    description="The client's key for this interview (a UUID it makes): the same key again "
    "returns the submission it stored (200) and stores nothing; with other content, a 409.",
)


class SubmissionList(generics.GenericAPIView):
    serializer_class = s.SubmissionSerializer
    pagination_class = SubmissionCursor

    @extend_schema(
        summary="Submissions, newest first, filtered",
        parameters=[s.SubmissionFilterSerializer],
        responses={200: s.SubmissionSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, slug: str) -> Response:
        survey = survey_or_404(request, slug, "review_submissions")
        params = {
            k: v
            for k, v in request.query_params.items()
            if k not in (self.paginator.cursor_query_param, self.paginator.page_size_query_param)
        }
        filters = s.SubmissionFilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        cell = chosen.get("cell", "")
        if cell and cell not in cell_names(survey):
            raise exceptions.ValidationError(
                {
                    "cell": [
                        _(
                            "survey '%(slug)s' has no quota cell of this name; "
                            "its cells are: %(names)s"
                        )
                        % {"slug": slug, "names": ", ".join(cell_names(survey)) or "-"}
                    ]
                }
            )
        submissions = with_related(
            submissions_matching(
                survey,
                status=chosen.get("status", ""),
                verdict=chosen.get("verdict", ""),
                since=chosen.get("since"),
                until=chosen.get("until"),
                cell=cell,
                include_test=chosen.get("include_test", False),
            )
        )
        page = self.paginate_queryset(submissions)
        return self.get_paginated_response(
            s.SubmissionSerializer(page, many=True, context=shown_to(request)).data
        )

    @extend_schema(
        summary="Send a submission collected elsewhere",
        description="Stored through the same services as a web respondent's: pages walked "
        "with skip logic, each page validated, screening and quotas applied, completed with "
        "its quota slots reserved and quality control run afterwards. The status says how "
        "it ended: completed, screened_out or over_quota.",
        request=s.IngestionSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: s.SubmissionSerializer,
            200: OpenApiResponse(s.SubmissionSerializer, description="A replay of a stored key."),
            **errors(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        survey = survey_or_404(request, slug, "review_submissions")
        body = s.IngestionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        _(
                            "is required: send an Idempotency-Key header (a UUID the client "
                            "makes for this interview)"
                        )
                    ]
                }
            )
        if len(key) > MAX_KEY:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [_("is longer than 200 characters")]}
            )
        content = dict(request.data.items())
        interview = Interview(
            language=data["language"],
            answers=data["answers"],
            panel_id=data.get("panel_id", "").strip(),
            started=data.get("started"),
            ended=data.get("ended"),
            collected_by=f"api:{request.user.get_username()}",
            device_id=data.get("device_id", "").strip(),
            username=request.user.get_username(),
        )
        try:
            result = submission_ingest_once(
                survey, interview, key=key, content=content, user=request.user
            )
        except IngestionError as refused:
            body = validation_body(refused.errors, "conflict" if refused.conflict else "invalid")
            if refused.conflict:
                body["message"] = str(refused)
            return Response(body, status=409 if refused.conflict else 400)
        except IdempotencyConflict as conflict:
            return Response(
                {
                    "message": _(
                        "Idempotency key '%(key)s' was already used for different content "
                        "(submission %(pk)s). Use a new key for a new interview."
                    )
                    % {"key": key, "pk": conflict.submission.pk if conflict.submission else "-"},
                    "code": "idempotency_conflict",
                },
                status=status.HTTP_409_CONFLICT,
            )
        submission = submissions_of(survey).get(pk=result.submission.pk)
        return Response(
            s.SubmissionSerializer(submission, context=shown_to(request)).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers={"Location": reverse("api:submission", args=[slug, submission.pk])},
        )


class SubmissionDetail(generics.GenericAPIView):
    serializer_class = s.SubmissionSerializer

    @extend_schema(
        summary="One submission", responses={200: s.SubmissionSerializer, **errors(401, 403, 404)}
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        survey = survey_or_404(request, slug, "review_submissions")
        submission = submissions_of(survey).filter(pk=pk).first()
        if submission is None:
            raise exceptions.NotFound(
                _("Survey '%(slug)s' has no submission %(pk)s.") % {"slug": slug, "pk": pk}
            )
        return Response(s.SubmissionSerializer(submission, context=shown_to(request)).data)


class SubmissionVerdict(generics.GenericAPIView):
    serializer_class = s.VerdictSerializer

    @extend_schema(
        summary="Override a submission's verdict, with a reason",
        request=s.VerdictSerializer,
        responses={200: s.SubmissionSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        survey = survey_or_404(request, slug, "review_submissions")
        submission = survey.submissions.filter(pk=pk).first()
        if submission is None:
            raise exceptions.NotFound(
                _("Survey '%(slug)s' has no submission %(pk)s.") % {"slug": slug, "pk": pk}
            )
        body = s.VerdictSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            submission_override(
                submission,
                body.validated_data["verdict"],
                body.validated_data["reason"],
                request.user,
            )
        except Refused as refused:
            return Response(
                {"message": str(refused), "code": "conflict"}, status=status.HTTP_409_CONFLICT
            )
        return Response(
            s.SubmissionSerializer(
                submissions_of(survey).get(pk=pk), context=shown_to(request)
            ).data
        )


# Exports: the dashboard's export jobs (reports.export_jobs), started and fetched here.


def export_body(job: ExportJob) -> dict:
    state = export_jobs.export_status(job)
    slug = job.survey.slug
    return {
        "token": job.token,
        "survey": slug,
        "format": job.format,
        "options": job.options,
        "status": state["status"],
        "rows_written": state["rows_written"],
        "rows_total": state["rows_total"],
        "percent": state["percent"],
        "error": state["error"],
        "ready": state["ready"],
        "created": job.created,
        "status_url": reverse("api:export", args=[slug, job.token]),
        "file_url": reverse("api:export-file", args=[slug, job.token]) if state["ready"] else None,
    }


class ExportList(generics.GenericAPIView):
    serializer_class = s.ExportRequestSerializer

    @extend_schema(
        summary="Start building a dataset export",
        description="Returns at once (202) with the job; poll its status_url until ready, "
        "then fetch file_url.",
        request=s.ExportRequestSerializer,
        responses={202: s.ExportJobSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, slug: str) -> Response:
        survey = survey_or_404(request, slug, "export_data")
        body = s.ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        options = dict(body.validated_data)
        fmt = options.pop("format")
        problems = {}
        if options.get("language") and options["language"] not in survey.languages:
            problems["language"] = [
                _("not a language of this survey; use one of: %(codes)s")
                % {"codes": ", ".join(survey.languages)}
            ]
        if options.get("cell") and options["cell"] not in cell_names(survey):
            problems["cell"] = [_("not a quota cell of this survey")]
        if problems:
            raise exceptions.ValidationError(problems)
        try:
            job = export_jobs.export_start(request.user, survey, fmt, options, request=request)
        except Refused as refused:
            raise exceptions.ValidationError({"request": refused.errors}) from None
        return Response(export_body(job), status=status.HTTP_202_ACCEPTED)


class ExportDetail(generics.GenericAPIView):
    serializer_class = s.ExportJobSerializer

    @extend_schema(
        summary="An export's status",
        responses={200: s.ExportJobSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, slug: str, token: str) -> Response:
        survey = survey_or_404(request, slug, "export_data")
        return Response(export_body(export_job(request, survey, token)))


def export_job(request: Request, survey: Survey, token: str) -> ExportJob:
    job = export_jobs.export_job_for(request.user, token, survey)
    if job is None:
        raise exceptions.NotFound(
            _("Survey '%(slug)s' has no export %(token)s.") % {"slug": survey.slug, "token": token}
        )
    return job


class AnyAccept(BaseContentNegotiation):
    """A file is sent as what it is, whatever the client's Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# What a finished export's file is sent as, by format (without parameters such as charset).
# A dataset with repeats is a zip of its files (reports.export_jobs).
FILE_TYPES = sorted(
    {media.split(";")[0] for media in export_jobs.CONTENT_TYPES.values()} | {"application/zip"}
)


class ExportFile(generics.GenericAPIView):
    content_negotiation_class = AnyAccept

    @extend_schema(
        summary="An export's file, once ready",
        responses={
            **{(200, media): OpenApiTypes.BINARY for media in FILE_TYPES},
            **errors(401, 403, 404, 409),
        },
    )
    def get(self, request: Request, slug: str, token: str):
        survey = survey_or_404(request, slug, "export_data")
        job = export_job(request, survey, token)
        if job.status != ExportJob.Status.DONE:
            return Response(
                {
                    "message": _(
                        "Export %(token)s is %(status)s, not ready: poll its status until "
                        "ready is true."
                    )
                    % {"token": token, "status": job.status},
                    "code": "not_ready",
                },
                status=status.HTTP_409_CONFLICT,
            )
        ready = export_jobs.export_file(job)
        return attachment(ready.file, ready.filename, ready.content_type)
