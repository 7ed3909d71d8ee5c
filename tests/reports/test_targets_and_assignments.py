"""Quota targets and assignments in /manage/, without the Django admin (issue 17, item 7)."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from audit.models import AuditEntry
from reports.access import ADMINISTRATORS, FIELD_MANAGERS, VIEWERS
from reports.models import Assignment
from surveys.errors import SurveyError
from surveys.models import QuotaCell, Survey
from surveys.services import survey_set_status
from surveys.targets import quota_targets_set

pytestmark = pytest.mark.django_db


def person(name, role, survey=None) -> Client:
    user = User.objects.create_user(name, password="a-long-password-7")
    user.groups.add(Group.objects.get(name=role))
    if survey is not None:
        Assignment.objects.create(user=user, survey=survey)
    client = Client()
    client.force_login(user)
    return client


def form_data(survey, reason="", **targets):
    data = {"sample_target": survey.sample_target, "reason": reason}
    for cell in survey.quota_cells.all():
        data[f"cell-{cell.name}"] = targets.get(cell.name, cell.target)
    return data


def test_a_field_manager_changes_a_target_with_a_reason(kazakhstan):
    manager = person("manager", FIELD_MANAGERS, kazakhstan)
    version = kazakhstan.questionnaire_version
    response = manager.post(
        "/manage/gt2024-kazakhstan/targets/",
        form_data(kazakhstan, "Astana's panel is short", astana=70),
        follow=True,
    )
    assert "1 target changed." in response.content.decode()
    assert QuotaCell.objects.get(survey=kazakhstan, name="astana").target == 70
    entry = AuditEntry.objects.get(action=AuditEntry.Action.QUOTA_TARGET)
    assert (entry.actor, entry.target, entry.details["reason"]) == (
        "manager",
        "quota cell astana",
        "Astana's panel is short",
    )
    kazakhstan.refresh_from_db()
    assert kazakhstan.questionnaire_version == version  # a cell's target is read live


def test_the_sample_target_moves_the_questionnaire_version(kazakhstan):
    version = kazakhstan.questionnaire_version
    quota_targets_set(kazakhstan, {}, "client asked for more", sample_target=900)
    kazakhstan.refresh_from_db()
    assert (kazakhstan.sample_target, kazakhstan.questionnaire_version) == (900, version + 1)


def test_a_target_without_a_reason_changes_nothing(kazakhstan):
    manager = person("manager", FIELD_MANAGERS, kazakhstan)
    before = list(QuotaCell.objects.order_by("pk").values_list("target", flat=True))
    response = manager.post(
        "/manage/gt2024-kazakhstan/targets/", form_data(kazakhstan, "", astana=70)
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert list(QuotaCell.objects.order_by("pk").values_list("target", flat=True)) == before
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.QUOTA_TARGET).exists()


def test_a_closed_survey_keeps_its_targets(kazakhstan):
    survey_set_status(kazakhstan, Survey.Status.CLOSED)
    with pytest.raises(SurveyError) as refused:
        quota_targets_set(kazakhstan, {"astana": 1}, "too late")
    assert refused.value.errors == ["The survey is closed: its targets can no longer change."]
    with pytest.raises(SurveyError):
        quota_targets_set(kazakhstan, {"nowhere": 1}, "no such cell")


def test_a_viewer_sees_targets_but_cannot_change_them(kazakhstan):
    viewer = person("viewer", VIEWERS, kazakhstan)
    page = viewer.get("/manage/gt2024-kazakhstan/targets/").content.decode()
    assert "data-target" in page and 'name="reason"' not in page
    viewer.post("/manage/gt2024-kazakhstan/targets/", form_data(kazakhstan, "sneaky", astana=1))
    assert QuotaCell.objects.get(survey=kazakhstan, name="astana").target != 1


def test_an_administrator_assigns_and_removes_a_user(kazakhstan):
    admin = person("root", ADMINISTRATORS)
    newcomer = User.objects.create_user("newcomer")
    newcomer.groups.add(Group.objects.get(name=FIELD_MANAGERS))
    page = admin.get("/manage/gt2024-kazakhstan/assignments/").content.decode()
    assert "newcomer (Field manager)" in page
    response = admin.post(
        "/manage/gt2024-kazakhstan/assignments/", {"user": newcomer.pk}, follow=True
    )
    assert "newcomer is assigned to this survey." in response.content.decode()
    assert Assignment.objects.filter(user=newcomer, survey=kazakhstan).exists()
    admin.post("/manage/gt2024-kazakhstan/assignments/remove/", {"user": newcomer.pk})
    assert not Assignment.objects.filter(user=newcomer).exists()
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ASSIGNMENT).order_by("pk")
    assert [(e.actor, e.target, e.details["assigned"]) for e in entries] == [
        ("root", "newcomer", True),
        ("root", "newcomer", False),
    ]


def test_a_field_manager_cannot_assign_anyone(kazakhstan):
    manager = person("manager", FIELD_MANAGERS, kazakhstan)
    assert manager.get("/manage/gt2024-kazakhstan/assignments/").status_code == 404
    other = User.objects.create_user("other")
    response = manager.post("/manage/gt2024-kazakhstan/assignments/", {"user": other.pk})
    assert response.status_code == 404
    assert not Assignment.objects.filter(user=other).exists()


def test_a_viewer_cannot_make_test_links_or_pause(kazakhstan):
    viewer = person("viewer", VIEWERS, kazakhstan)
    for url in ("test/", "schedule/"):
        assert viewer.get(f"/manage/gt2024-kazakhstan/{url}").status_code == 404
    assert viewer.post("/manage/gt2024-kazakhstan/schedule/pause/").status_code == 404
    kazakhstan.refresh_from_db()
    assert kazakhstan.status == Survey.Status.LIVE
