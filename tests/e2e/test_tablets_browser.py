"""A field manager follows the interviewers' work in a real browser: the dashboard's table
of interviewers, and the page of interviews from tablets, where a rejected one is read
and processed again. Both pages pass axe-core."""

import pytest
from django.contrib.auth.models import Group, User

from openrosa.models import ReceivedInstance
from reports.access import FIELD_MANAGERS
from reports.models import Assignment
from surveys.services import survey_questionnaire_changed
from tests.openrosa.conftest import instance_xml, interviewer, send, tablet

pytestmark = pytest.mark.django_db(transaction=True)
FORM = "/openrosa/forms/gt2024-kazakhstan/form.xml"


def interview(client, xform: str, instance_id: str, age: int) -> str:
    return instance_xml(
        xform,
        {"age": age, "gender": "female", "region": "astana"},
        instance_id,
        start="2026-12-03T09:00:00.000+05:00",
        end="2026-12-03T09:04:00.000+05:00",
    )


def test_a_field_manager_reads_and_processes_again_a_rejected_interview(
    live_server, browser_page, kazakhstan, axe
):
    client = tablet(interviewer("amina", kazakhstan))
    old = client.get(FORM).content.decode()
    assert send(client, interview(client, old, "uuid:kept", 16)).status_code == 201
    # The questionnaire changes while the tablet still has the old form.
    choice = kazakhstan.choice_lists.get(name="gender").choices.first()
    choice.label = {**choice.label, "ru": choice.label["ru"] + "."}
    choice.save()
    survey_questionnaire_changed(kazakhstan)
    assert send(client, interview(client, old, "uuid:old", 17)).status_code == 202
    manager = User.objects.create_user("manager", password="a-long-password-1")
    manager.groups.add(Group.objects.get(name=FIELD_MANAGERS))
    Assignment.objects.create(user=manager, survey=kazakhstan)

    page = browser_page
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("a-long-password-1")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    row = page.locator("tr[data-interviewer=amina]")
    assert row.locator("[data-count=completed]").inner_text() == "0"  # screened out
    assert axe(page) == []

    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/tablets/")
    rejected = page.locator("[data-instance='uuid:old']")
    assert "the current version is" in rejected.locator("[data-reason]").inner_text()
    assert page.locator("[data-instance='uuid:kept']").count() == 0  # accepted: another tab
    assert axe(page) == []
    rejected.get_by_role("checkbox").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Process selected again").click()
    assert "1 instance processed again and stored." in page.locator(".alert").inner_text()
    assert page.locator("[data-instance='uuid:old']").count() == 0
    page.locator("[data-state=accepted]").click()
    page.wait_for_selector("[data-instance='uuid:old']")
    assert page.locator("[data-instance]").count() == 2
    assert axe(page) == []
    assert ReceivedInstance.objects.get(instance_id="uuid:old").submission.status == (
        "screened_out"
    )
