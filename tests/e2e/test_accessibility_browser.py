"""Every page a respondent or a field manager sees, checked by axe-core in Chromium.

No serious or critical violation of WCAG 2.1 A or AA on any of them (tests/e2e/conftest.py
runs axe). Each test walks its pages and reports every violation at once, by page.
"""

import pytest
from django.contrib.auth.models import User

from respondents.models import Submission
from respondents.simulation import simulate_fieldwork
from respondents.validation import submission_validate
from surveys.models import Survey
from tests.e2e.test_respondent_browser import answer_visible, link, start, submit

pytestmark = pytest.mark.django_db(transaction=True)


def ended(live_server, survey, panel_id, status):
    """A link whose interview ended with `status` (made here, for its end page)."""
    from respondents import services
    from tests.respondents.conftest import invite

    respondent = invite(survey, panel_id, language="ru")
    submission = services.submission_start(respondent, "ru", user_agent="test", ip="127.0.0.1")
    Submission.objects.filter(pk=submission.pk).update(status=status)
    return f"{live_server.url}/s/{respondent.token}/"


def test_every_respondent_page_passes_axe(live_server, browser_page, phone_page, demo, axe):
    kazakhstan = demo["gt2024-kazakhstan"]
    found: dict[str, list[str]] = {}
    for page, device in ((browser_page, "laptop"), (phone_page, "phone")):
        url = link(live_server, kazakhstan, f"axe-{device}", language="ru")
        page.goto(url)
        found[f"{device}: welcome"] = axe(page)
        start(page, url, "Русский")
        found[f"{device}: first page"] = axe(page)
        submit(page)  # nothing answered: refused
        found[f"{device}: refused page"] = axe(page)
        for _ in range(20):
            if not page.locator("#page-form").count():
                break
            name = page.url.rstrip("/").rsplit("/", 1)[-1]
            found[f"{device}: page {name}"] = axe(page)
            answer_visible(page, {"age": 40})
            submit(page)
        found[f"{device}: completed"] = axe(page)
    for status in ("screened_out", "over_quota"):
        browser_page.goto(ended(live_server, kazakhstan, f"axe-{status}", status))
        found[status] = axe(browser_page)
    kazakhstan.open_link = True
    kazakhstan.save(update_fields=["open_link"])
    browser_page.goto(f"{live_server.url}/o/{kazakhstan.slug}/")
    found["open link"] = axe(browser_page)
    closed_url = link(live_server, kazakhstan, "axe-closed", language="ru")
    Survey.objects.filter(pk=kazakhstan.pk).update(status=Survey.Status.CLOSED)
    browser_page.goto(closed_url)
    found["closed"] = axe(browser_page)
    assert {name: v for name, v in found.items() if v} == {}


def test_every_field_manager_page_passes_axe(live_server, browser_page, demo, axe):
    kazakhstan = demo["gt2024-kazakhstan"]
    simulate_fieldwork(kazakhstan, 40, seed=7)
    # Validated here (a configured broker would wait for a worker): the queue has items.
    for pk in Submission.objects.filter(survey=kazakhstan, status="completed").values_list(
        "pk", flat=True
    ):
        submission_validate(pk)
    User.objects.create_superuser("boss", password="a-long-password-9")
    page = browser_page
    found: dict[str, list[str]] = {}
    page.goto(f"{live_server.url}/")
    found["home"] = axe(page)
    page.goto(f"{live_server.url}/manage/")
    found["login"] = axe(page)
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("a-long-password-9")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("h1")
    found["surveys"] = axe(page)
    base = f"{live_server.url}/manage/{kazakhstan.slug}"
    for name, path in (
        ("dashboard", "/"),
        ("review queue", "/review/"),
        ("export", "/export/"),
        ("toplines", "/toplines/"),
        ("crosstab", "/crosstab/?row=like&col=region"),
        ("published figures", "/published/"),
    ):
        page.goto(base + path)
        page.wait_for_selector("h1")
        found[name] = axe(page)
    page.goto(base + "/review/")
    page.locator("details").first.locator("summary").click()
    found["review queue, answers open"] = axe(page)
    page.goto(base + "/export/")
    page.get_by_label("Format").select_option("codebook")
    with page.expect_navigation():
        page.get_by_role("button", name="Export").click()
    found["export job"] = axe(page)
    # On a phone the crosstab scrolls sideways: its region must take the keyboard's focus.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/crosstab/?col=region")
    page.wait_for_selector("table.crosstab")
    assert page.evaluate(
        "document.querySelector('.table-responsive').scrollWidth"
        " > document.querySelector('.table-responsive').clientWidth"
    )
    found["crosstab on a phone"] = axe(page)
    assert {name: v for name, v in found.items() if v} == {}
