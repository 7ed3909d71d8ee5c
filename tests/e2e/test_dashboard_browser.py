"""A field manager's dashboard in a real browser."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from playwright.sync_api import expect

from reports.access import FIELD_MANAGERS
from reports.models import Assignment
from respondents import services
from respondents.validation import submission_validate
from surveys.models import Survey
from tests.respondents.conftest import Respondent_, invite
from tests.respondents.test_validation import attentive

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_field_manager_watches_a_cell_fill_without_reloading(
    live_server, browser_page, settings, monkeypatch
):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    # Validation happens when this test says, not when the completion commits.
    monkeypatch.setattr(services, "enqueue_validation", lambda submission_id: None)
    call_command("load_demo")
    kazakhstan = Survey.objects.get(slug="gt2024-kazakhstan")
    manager = User.objects.create_user("manager", password="a-long-password-1")
    manager.groups.add(Group.objects.get(name=FIELD_MANAGERS))
    Assignment.objects.create(user=manager, survey=kazakhstan)
    person = Respondent_(invite(kazakhstan, "kz-1", region="astana", age=33))
    person.finish("ru", **attentive())
    submission = person.submission

    page = browser_page
    page.goto(f"{live_server.url}/manage/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("0 / 813").click()
    page.wait_for_selector("table.cells")
    assert page.locator("tr[data-cell]").count() == 17
    astana = page.locator("tr[data-cell=astana]")
    assert astana.locator("[data-confirmed]").inner_text() == "0"
    page.evaluate("window.notReloaded = true")

    submission_validate(submission.pk)
    # Waited for from outside the page: the page's CSP forbids the eval a waiting function uses.
    confirmed = page.locator("tr[data-cell=astana] [data-confirmed]")
    expect(confirmed).to_have_text("1", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("[data-headline]").inner_text().startswith("1 / 813")

    shot = page.screenshot(full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000
    for text in ("Астана қаласы", "Алматы қаласы", "Түркістан облысы"):  # the survey language
        assert page.get_by_text(text).first.is_visible()


def test_sorting_survives_a_refresh(live_server, browser_page, settings):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    call_command("load_demo")
    admin = User.objects.create_user("boss", password="a-long-password-2")
    admin.groups.add(Group.objects.get(name="Administrators"))
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/?next=/manage/gt2024-kazakhstan/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("a-long-password-2")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("columnheader", name="Target").click()
    page.get_by_role("columnheader", name="Target").click()  # descending
    first = page.locator("tr[data-cell]").first.get_attribute("data-cell")
    assert first == "almaty_region"  # the largest target
    page.wait_for_timeout(2500)  # two refreshes
    assert page.locator("tr[data-cell]").first.get_attribute("data-cell") == "almaty_region"
