"""What the API reads and writes, and how its requests are checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from respondents.models import Submission, Verdict
from surveys.models import Survey
from surveys.selectors import survey_definition


class StrictSerializer(serializers.Serializer):
    """A serializer that refuses fields it does not know, naming them."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                allowed = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {
                        name: [
                            _("unknown field; the fields are: %(allowed)s") % {"allowed": allowed}
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, and what to do about it.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field; nested fields are dotted (answers.age).",
    )


class SurveySerializer(serializers.ModelSerializer):
    title = serializers.JSONField(help_text="The title in each of the survey's languages.")
    languages = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Survey
        fields = [
            "slug",
            "title",
            "status",
            "languages",
            "default_language",
            "sample_target",
            "fieldwork_start",
            "fieldwork_end",
            "version",
        ]


def _without_rows(value: Any) -> Any:
    """Drop the spreadsheet row numbers the definition keeps for import errors."""
    if isinstance(value, dict):
        return {k: _without_rows(v) for k, v in value.items() if k != "row"}
    if isinstance(value, list | tuple):
        return [_without_rows(item) for item in value]
    return value


class SurveyDetailSerializer(SurveySerializer):
    questionnaire = serializers.SerializerMethodField(
        help_text="Pages, questions (type, texts per language, skip logic, constraints, "
        "ranges) and choice lists, as plain JSON."
    )

    class Meta(SurveySerializer.Meta):
        fields = [*SurveySerializer.Meta.fields, "questionnaire"]

    def get_questionnaire(self, survey: Survey) -> dict:
        definition = dataclasses.asdict(survey_definition(survey))
        questions = [q for page in definition["pages"] for q in page["questions"]]
        for question in [*questions, *(c for q in questions for c in q["children"])]:
            for bound in ("min_value", "max_value"):
                if question[bound] is not None:
                    question[bound] = str(question[bound])
        for name in ("fieldwork_start", "fieldwork_end"):
            if definition[name] is not None:
                definition[name] = definition[name].isoformat()
        return _without_rows(definition)


class QuotaCellSerializer(serializers.Serializer):
    cell = serializers.CharField()
    label = serializers.CharField()
    target = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    reserved = serializers.IntegerField()
    released = serializers.IntegerField()
    hard = serializers.BooleanField()
    state = serializers.ChoiceField(choices=["open", "full", "closed"])


class SlotSerializer(serializers.Serializer):
    cell = serializers.CharField(source="cell.name")
    state = serializers.CharField()


class SubmissionSerializer(serializers.ModelSerializer):
    survey = serializers.CharField(source="survey.slug")
    panel_id = serializers.CharField(
        source="respondent.panel_id",
        allow_null=True,
        help_text="Personal data: null unless your role may export identifiers.",
    )
    answers = serializers.JSONField(help_text="Answers by variable name.")
    qc_results = serializers.JSONField(help_text="Each quality rule's version, result and reason.")
    cells = SlotSerializer(source="slots", many=True, help_text="Its quota slots.")
    idempotency_key = serializers.SerializerMethodField()
    interviewer = serializers.CharField(
        source="interviewer.username",
        allow_null=True,
        read_only=True,
        help_text="The interviewer's user name (face-to-face interviews); null otherwise.",
    )

    class Meta:
        model = Submission
        fields = [
            "id",
            "survey",
            "panel_id",
            "status",
            "verdict",
            "qc_verdict",
            "overridden",
            "language",
            "mode",
            "interviewer",
            "answers",
            "started",
            "ended",
            "seconds",
            "validated",
            "qc_results",
            "cells",
            "idempotency_key",
            "is_test",
        ]

    def to_representation(self, submission: Submission) -> dict:
        data = super().to_representation(submission)
        if not self.context.get("identifiers"):
            data["panel_id"] = None
        return data

    def get_idempotency_key(self, submission: Submission) -> str | None:
        record = getattr(submission, "ingestion_key", None)
        return record.key if record else None


class SubmissionFilterSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Submission.Status.choices, required=False)
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    since = serializers.DateField(required=False, help_text="Ended on or after this day.")
    until = serializers.DateField(required=False, help_text="Ended on or before this day.")
    cell = serializers.CharField(
        required=False, max_length=100, help_text="Holds a slot in this quota cell."
    )
    include_test = serializers.BooleanField(
        required=False, help_text="Also test links' submissions (left out by default)."
    )

    def validate(self, data):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": [_("is before since")]})
        return data


class IngestionSerializer(StrictSerializer):
    language = serializers.CharField(max_length=15, help_text="One of the survey's languages.")
    answers = serializers.DictField(
        help_text="Answers by variable name, as the questionnaire defines them: a string for "
        "a single choice, grid row, text or date (YYYY-MM-DD); an array of strings for a "
        "multiple choice; an integer or a number; a time (HH:MM) or a date and time "
        "(YYYY-MM-DDTHH:MM); for a repeat, an array of entries, each an object of the answers "
        "asked in it. Leave out what the respondent was not asked, and what the server fills "
        "(metadata, calculations)."
    )
    panel_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="The panel member's id."
    )
    started = serializers.DateTimeField(required=False, help_text="When the interview began.")
    ended = serializers.DateTimeField(
        required=False, help_text="When it ended: with started, the interview's length."
    )
    device_id = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="The device it was collected on: the form's deviceid, if it has one.",
    )


class VerdictSerializer(StrictSerializer):
    verdict = serializers.ChoiceField(choices=[Verdict.VALID, Verdict.INVALID])
    reason = serializers.CharField(max_length=2000, help_text="Why: kept in the audit trail.")


class ExportRequestSerializer(StrictSerializer):
    format = serializers.ChoiceField(choices=["csv", "xlsx", "sav", "codebook"])
    language = serializers.CharField(
        max_length=15, required=False, help_text="Labels' language (one of the survey's)."
    )
    labels = serializers.BooleanField(required=False, help_text="Labels instead of codes.")
    valid_only = serializers.BooleanField(
        required=False, help_text="Only valid questionnaires (the default), or every one."
    )
    identifiers = serializers.BooleanField(
        required=False, help_text="Include panel ids and IP hashes."
    )
    bom = serializers.BooleanField(required=False, help_text="A byte-order mark for Excel (CSV).")
    since = serializers.DateField(required=False, help_text="Ended on or after this day.")
    until = serializers.DateField(required=False, help_text="Ended on or before this day.")
    cell = serializers.CharField(max_length=100, required=False, help_text="One quota cell.")
    include_test = serializers.BooleanField(
        required=False, help_text="Include test links' submissions, with a column `test`."
    )


class ExportJobSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The job's id in URLs.")
    survey = serializers.CharField()
    format = serializers.CharField()
    options = serializers.JSONField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    rows_written = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    ready = serializers.BooleanField()
    created = serializers.DateTimeField()
    status_url = serializers.CharField()
    file_url = serializers.CharField(allow_null=True, help_text="Set once the file is ready.")
