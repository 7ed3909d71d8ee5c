"""Running fieldwork from /manage/ in a real browser: test links, the schedule, targets
and assignments (issue 17, items 3, 5 and 7), each new page checked with axe-core."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from reports.access import ADMINISTRATORS, FIELD_MANAGERS
from reports.models import Assignment
from respondents import services
from respondents.models import Respondent, Submission, SurveyStats
from surveys.models import QuotaCell, Survey
from tests.e2e.test_respondent_browser import complete, link, start

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-17"


def today():
    """Today, asked when the test runs: a run collected before midnight goes on after it."""
    return timezone.localdate()


DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def validation_when_the_test_says(monkeypatch):
    """Validation runs when the test says, not when a completion commits."""
    monkeypatch.setattr(services, "enqueue_validation", lambda submission_id: None)


def log_in(page, live_server, name, role, survey=None):
    user = User.objects.create_user(name, password=PASSWORD)
    user.groups.add(Group.objects.get(name=role))
    if survey is not None:
        Assignment.objects.create(user=user, survey=survey)
    page.goto(f"{live_server.url}/accounts/login/?next=/manage/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/manage/")


def download_csv(page, survey_slug, include_test: bool) -> list[dict]:
    page.goto(page.url.split("/manage/")[0] + f"/manage/{survey_slug}/export/")
    page.get_by_label("Every submission").check()
    if include_test:
        page.get_by_label("Include test submissions").check()
    with page.expect_download() as download:
        page.locator("form button[type=submit]").click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        return list(csv.DictReader(io.StringIO(file.read())))


def test_a_test_link_is_completed_counted_nowhere_exported_on_request_and_discarded(
    live_server, browser_page, kazakhstan, axe
):
    page = browser_page
    log_in(page, live_server, "manager", FIELD_MANAGERS, kazakhstan)
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    page.get_by_role("link", name="Test mode").click()
    assert axe(page) == []
    page.get_by_role("button", name="Try it myself").click()
    page.wait_for_selector("[data-test-link]")  # the bar that says it is a test
    assert axe(page) == []
    page.get_by_label("Русский").check()
    with page.expect_navigation():  # the load event: the deferred form script has run
        page.locator("button[type=submit]").click()
    page.wait_for_selector("#page-form")
    assert page.locator("[data-test-link]").is_visible()
    complete(page, {"age": 34, "region": "astana"})
    assert page.get_by_role("heading", name="Спасибо!").is_visible()
    submission = Submission.objects.get()
    assert (submission.status, submission.is_test) == ("completed", True)

    # Counted nowhere: the headline, the funnel and the cell stay at nothing.
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    assert page.locator("[data-headline]").inner_text().startswith("0 / 813")
    assert page.locator("[data-funnel=completed] td").last.inner_text() == "0"
    astana = page.locator("tr[data-cell=astana] td")
    assert [astana.nth(i).inner_text() for i in (2, 3)] == ["0", "0"]
    assert not SurveyStats.objects.filter(survey=kazakhstan, completed__gt=0).exists()

    # Exported only on request.
    assert download_csv(page, "gt2024-kazakhstan", include_test=False) == []
    rows = download_csv(page, "gt2024-kazakhstan", include_test=True)
    assert [(row["submission_id"], row["test"], row["status"]) for row in rows] == [
        (str(submission.pk), "1", "completed")
    ]

    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/test/")
    assert page.locator("tr[data-test-link]").count() == 1
    assert "Completed" in page.locator("tr[data-test-link]").inner_text()
    page.get_by_label("Delete every test link").check()
    page.get_by_role("button", name="Discard test data").click()
    assert page.get_by_text("test links: 1, submissions: 1").is_visible()
    assert page.locator("tr[data-test-link]").count() == 0
    assert not Submission.objects.exists()
    assert not Respondent.objects.filter(source=Respondent.Source.TEST).exists()


def test_a_link_before_the_start_and_after_the_end(live_server, browser_page, kazakhstan, axe):
    page = browser_page
    Survey.objects.filter(pk=kazakhstan.pk).update(
        fieldwork_start=datetime.date(2031, 5, 4), fieldwork_end=datetime.date(2031, 5, 20)
    )
    page.goto(link(live_server, kazakhstan, "early", language="ru", region="astana", age=30))
    assert page.get_by_role("heading", name="Этот опрос ещё не открыт").is_visible()
    assert page.get_by_text("4 мая 2031").is_visible()
    assert axe(page) == []
    kk = link(live_server, kazakhstan, "early-kk", language="kk", region="astana", age=30)
    page.goto(kk)
    assert page.get_by_text("2031").first.is_visible()
    assert page.locator("html").get_attribute("lang") == "kk"

    Survey.objects.filter(pk=kazakhstan.pk).update(
        fieldwork_start=today() - 20 * DAY, fieldwork_end=today() - DAY
    )
    page.goto(link(live_server, kazakhstan, "late", language="ru", region="astana", age=30))
    assert page.get_by_role("heading", name="Опрос закрыт").is_visible()
    assert axe(page) == []
    assert not Submission.objects.exists()


def test_pause_resume_and_extend_with_a_reason(
    live_server, browser_page, chromium, kazakhstan, axe
):
    page = browser_page
    log_in(page, live_server, "manager", FIELD_MANAGERS, kazakhstan)
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    page.get_by_role("link", name="Schedule").click()
    assert page.locator("[data-phase-badge]").inner_text() == "fieldwork open"
    assert axe(page) == []
    page.get_by_role("button", name="Pause fieldwork").click()
    assert page.locator("[data-phase-badge]").inner_text() == "paused"

    respondent = chromium.new_context().new_page()
    url = link(live_server, kazakhstan, "p1", language="ru", region="astana", age=30)
    respondent.goto(url)
    assert respondent.get_by_role("heading", name="Этот опрос приостановлен").is_visible()
    assert axe(respondent) == []

    page.get_by_role("button", name="Resume fieldwork").click()
    assert page.locator("[data-phase-badge]").inner_text() == "fieldwork open"
    start(respondent, url, "Русский")  # the same link now starts
    respondent.context.close()

    new_end = kazakhstan.fieldwork_end + 5 * DAY
    page.get_by_label("New last day of fieldwork").fill(new_end.isoformat())
    page.get_by_label("Reason").fill("Regions behind after the floods")
    page.get_by_role("button", name="Extend").click()
    assert page.get_by_text("The end of fieldwork has moved.").is_visible()
    assert page.get_by_text("Regions behind after the floods").is_visible()
    kazakhstan.refresh_from_db()
    assert kazakhstan.fieldwork_end == new_end
    assert page.get_by_text("Live → Paused").is_visible()


def test_a_target_is_edited_with_a_reason_and_users_are_assigned(
    live_server, browser_page, kazakhstan, axe
):
    page = browser_page
    log_in(page, live_server, "boss", ADMINISTRATORS)
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    page.get_by_role("link", name="Quota targets").click()
    assert axe(page) == []
    page.get_by_label("Астана қаласы").fill("70")
    page.get_by_role("button", name="Save targets").click()  # no reason: refused
    assert QuotaCell.objects.get(survey=kazakhstan, name="astana").target != 70
    page.get_by_label("Reason for the change").fill("Astana's panel is short")
    page.get_by_role("button", name="Save targets").click()
    assert page.get_by_text("1 target changed.").is_visible()
    assert page.get_by_text("Astana's panel is short").is_visible()
    assert QuotaCell.objects.get(survey=kazakhstan, name="astana").target == 70
    assert axe(page) == []

    viewer = User.objects.create_user("watcher")
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    page.get_by_role("link", name="Assignments").click()
    assert axe(page) == []
    page.get_by_label("User").select_option(label="watcher (—)")
    page.get_by_role("button", name="Assign", exact=True).click()
    assert page.get_by_text("watcher is assigned to this survey.").is_visible()
    assert Assignment.objects.filter(user=viewer, survey=kazakhstan).exists()
    assert axe(page) == []
