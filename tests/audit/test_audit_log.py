"""The audit log: who exported, overrode a verdict, moved a quota target or changed a
questionnaire, and when; kept read-only."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from reports.access import FIELD_MANAGERS
from reports.models import Assignment
from respondents.models import Submission, Verdict
from respondents.validation import submission_validate
from surveys.models import Question, QuotaCell, Survey
from surveys.services import survey_import_xlsform
from tests.conftest import SHARED_FORMS

pytestmark = pytest.mark.django_db

A = AuditEntry.Action


def manager(survey) -> tuple[User, Client]:
    user = User.objects.create_user("fm", password="pw-123456")
    user.groups.add(Group.objects.get(name=FIELD_MANAGERS))
    Assignment.objects.create(user=user, survey=survey)
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(user)
    return user, client


def test_an_override_from_the_review_queue_is_logged_with_who_and_why(demo):
    survey = demo["gt2024-kazakhstan"]
    call_command("simulate_fieldwork", survey.slug, "--respondents", "60", "--seed", "4")
    for submission in Submission.objects.filter(survey=survey, status="completed"):
        submission_validate(submission.pk)
    flagged = Submission.objects.filter(survey=survey, verdict=Verdict.INVALID).first()
    user, client = manager(survey)
    response = client.post(
        "/manage/gt2024-kazakhstan/review/decide/",
        {"submission": [flagged.pk], "verdict": "valid", "reason": "Checked by phone"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=A.VERDICT_OVERRIDE)
    assert (entry.user, entry.actor, entry.survey) == (user, "fm", survey)
    assert entry.target == f"submission {flagged.pk}"
    assert entry.details == {"from": "invalid", "to": "valid", "reason": "Checked by phone"}


def test_a_quota_target_change_in_the_admin_is_logged_with_old_and_new(admin_client, demo):
    cell = QuotaCell.objects.get(survey__slug="gt2024-kazakhstan", name="astana")
    response = admin_client.post(
        reverse("admin:surveys_quotacell_change", args=[cell.pk]),
        {
            "survey": cell.survey_id,
            "position": cell.position,
            "name": "astana",
            "label_kk": "Астана",
            "label_ru": "Астана",
            "condition": cell.condition,
            "target": cell.target + 5,
            "is_hard": "on",
        },
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=A.QUOTA_TARGET)
    assert entry.actor == "admin" and entry.survey.slug == "gt2024-kazakhstan"
    assert entry.details == {"field": "target", "from": cell.target, "to": cell.target + 5}
    assert entry.ip == "198.51.100.7"


def test_an_unchanged_quota_cell_saved_again_logs_no_target_change(admin_client, demo):
    cell = QuotaCell.objects.get(survey__slug="gt2024-kazakhstan", name="astana")
    admin_client.post(
        reverse("admin:surveys_quotacell_change", args=[cell.pk]),
        {
            "survey": cell.survey_id,
            "position": cell.position,
            "name": "astana",
            "label_kk": "Астана",
            "label_ru": "Астана",
            "condition": cell.condition,
            "target": cell.target,
            "is_hard": "on",
        },
    )
    assert not AuditEntry.objects.filter(action=A.QUOTA_TARGET).exists()


def test_a_question_edited_in_the_admin_is_logged(admin_client):
    survey = survey_import_xlsform(SHARED_FORMS / "yes_or_no_question.xlsx", "yn").survey
    question = Question.objects.get(survey=survey, variable="good_day")
    url = reverse("admin:surveys_question_change", args=[question.pk])
    response = admin_client.post(
        url,
        {
            "survey": survey.pk,
            "page": question.page_id,
            "position": 0,
            "variable": "good_day",
            "type": "single",
            "required": "",
            **{f"label_{lang}": "Was it a good day?" for lang in survey.languages},
            **{f"hint_{lang}": "" for lang in survey.languages},
            **{f"constraint_message_{lang}": "" for lang in survey.languages},
            "relevant": "",
            "constraint": "",
            "screening": "",
            "choice_list": question.choice_list_id,
            "appearance": "",
            "rows-TOTAL_FORMS": 0,
            "rows-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action=A.QUESTIONNAIRE_CHANGE)
    assert entry.actor == "admin" and entry.survey == survey
    assert "good_day" in entry.target
    assert entry.details["what"] == "changed" and entry.details["change"]


def test_an_import_from_the_command_line_is_logged_once_and_not_when_nothing_changed(tmp_path):
    call_command("import_xlsform", str(SHARED_FORMS / "yes_or_no_question.xlsx"), slug="yn")
    call_command("import_xlsform", str(SHARED_FORMS / "yes_or_no_question.xlsx"), slug="yn")
    entry = AuditEntry.objects.get(action=A.QUESTIONNAIRE_IMPORT)
    assert (entry.actor, entry.user, entry.survey_slug) == ("command line", None, "yn")
    assert entry.details["created"] is True


def test_the_log_is_read_only_in_the_admin(admin_client, demo):
    entry = AuditEntry.objects.first()  # the demo's imports and publication
    assert entry is not None
    changelist = admin_client.get(reverse("admin:audit_auditentry_changelist"))
    assert changelist.status_code == 200 and "command line" in changelist.content.decode()
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert admin_client.post(url, {"actor": "someone else"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).actor == "command line"


def test_an_entry_survives_its_user_and_survey(demo):
    survey = demo["gt2024-kazakhstan"]
    user, _client = manager(survey)
    from audit.services import record

    entry = record(A.EXPORT, user=user, survey=survey, target="csv")
    user.delete()
    Survey.objects.filter(pk=survey.pk).delete()
    entry.refresh_from_db()
    assert (entry.user, entry.survey) == (None, None)
    assert (entry.actor, entry.survey_slug) == ("fm", "gt2024-kazakhstan")


def test_every_way_of_exporting_is_logged(
    demo, tmp_path, settings, django_capture_on_commit_callbacks, eager_tasks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    survey = demo["gt2024-kazakhstan"]
    _user, client = manager(survey)
    streamed = client.post(
        f"/manage/{survey.slug}/export/", {"format": "csv", "language": "ru", "scope": "valid"}
    )
    b"".join(streamed.streaming_content)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/manage/{survey.slug}/export/", {"format": "xlsx", "language": "kk", "scope": "all"}
        )
    call_command("export", survey.slug, "--format", "csv", "--output", str(tmp_path / "a.csv"))
    entries = list(AuditEntry.objects.filter(action=A.EXPORT).order_by("pk"))
    assert [(e.actor, e.details["format"]) for e in entries] == [
        ("fm", "csv"),
        ("fm", "xlsx"),
        ("command line", "csv"),
    ]
    assert entries[0].ip == entries[1].ip == "203.0.113.9"
    assert entries[1].details["options"]["language"] == "kk"
