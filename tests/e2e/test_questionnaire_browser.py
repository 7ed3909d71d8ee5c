"""An administrator runs a survey's questionnaire from the browser: upload, fix, upload
again, preview in both languages, publish (refused, then accepted), copy for a new wave.
axe-core checks every page on the way."""

import pytest
from django.contrib.auth.models import Group, User

from reports.access import ADMINISTRATORS
from surveys.models import Survey
from tests import bilingual_form

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_administrator_takes_a_survey_from_upload_to_a_new_wave(
    live_server, browser_page, axe, make_form
):
    admin = User.objects.create_user("admin1", password="a-long-password-1")
    admin.groups.add(Group.objects.get(name=ADMINISTRATORS))
    broken = bilingual_form.write(make_form, "broken.csv", broken=True)
    fixed = bilingual_form.write(make_form, "fixed.csv")
    second = bilingual_form.write(make_form, "second.csv", second=True)
    designed = bilingual_form.write(make_form, "designed.csv", second=True, design=True)
    page = browser_page
    violations = {}

    def check(name):
        violations[name] = axe(page)

    page.goto(f"{live_server.url}/manage/")
    page.get_by_label("Username").fill("admin1")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()

    # Upload a form with a mistake: the report names its place; nothing is created.
    page.get_by_role("link", name="New survey from an XLSForm").click()
    check("new survey")
    page.get_by_label("Slug").fill("china")
    page.get_by_label("XLSForm").set_input_files(str(broken))
    page.get_by_role("button", name="Upload").click()
    problem = page.locator("#problems tbody tr").first
    assert problem.locator("td").nth(0).inner_text() == "survey"
    assert problem.locator("td").nth(1).inner_text() == "9"
    assert problem.locator("td").nth(2).inner_text() == "relevant"
    assert "beeen" in problem.locator("td").nth(3).inner_text()
    check("import report, refused")
    assert not Survey.objects.filter(slug="china").exists()

    # The mistake fixed, the survey is created; a second version shows what changed.
    page.get_by_role("link", name="Upload again").click()
    page.get_by_label("Slug").fill("china")
    page.get_by_label("XLSForm").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload").click()
    assert page.locator("[data-import=created]").is_visible()
    page.get_by_role("link", name="Go to the questionnaire").click()
    check("questionnaire page")
    page.get_by_label("XLSForm").set_input_files(str(second))
    page.get_by_role("button", name="Upload").click()
    assert page.locator("[data-import=updated]").is_visible()
    added = page.locator("#changes tr[data-change=question_added]")
    assert added.locator("td").nth(1).inner_text() == "trips"
    assert page.locator("#changes tr[data-change=choice_added]").inner_text().count("shymkent")
    check("import report, changes")

    # Preview in Kazakh: having been to China brings the follow-up page.
    page.get_by_role("link", name="Go to the questionnaire").click()
    page.get_by_role("link", name="Preview").click()
    check("preview start")
    page.get_by_role("link", name="The welcome page, as a respondent first sees it").click()
    assert page.locator("[data-preview]").is_visible()
    check("preview welcome")
    page.get_by_role("link", name="Back to the questionnaire").click()
    page.get_by_role("link", name="Preview").click()
    page.get_by_label("Language").select_option("kk")
    page.get_by_role("button", name="Start the preview").click()
    assert page.locator("[data-preview]").is_visible()
    page.get_by_label("Жасыңыз нешеде?").fill("34")
    page.get_by_label("Астана").check()
    check("preview page")
    page.get_by_role("button", name="Келесі").click()
    page.get_by_label("Иә").check()
    page.get_by_role("button", name="Келесі").click()
    assert page.get_by_label("Қай қалада болдыңыз?").is_visible()

    # In Russian, from the start: not been, so the follow-up is skipped.
    page.get_by_role("button", name="Start the preview again").click()
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Start the preview").click()
    page.get_by_label("Сколько вам лет?").fill("40")
    page.get_by_label("Алматы").check()
    page.get_by_role("button", name="Далее").click()
    page.get_by_label("Нет").check()
    page.get_by_role("button", name="Далее").click()
    assert page.get_by_label("Ваш комментарий").is_visible()
    page.get_by_role("button", name="Отправить").click()
    assert page.locator("[data-end=completed]").is_visible()
    check("preview end")
    assert not Survey.objects.get(slug="china").submissions.exists()

    # Publish: refused with its reasons, then, with the design uploaded, accepted.
    page.get_by_role("link", name="Back to the questionnaire").click()
    page.get_by_role("button", name="Publish: go live").click()
    refused = page.locator("#publish-refused").inner_text()
    assert "fieldwork dates are missing" in refused and "sample target" in refused
    check("publish refused")
    page.get_by_label("XLSForm").set_input_files(str(designed))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("link", name="Go to the questionnaire").click()
    assert page.locator("[data-preflight=ready]").is_visible()
    page.get_by_role("button", name="Publish: go live").click()
    assert page.locator("[data-status=live]").is_visible()
    assert Survey.objects.get(slug="china").status == Survey.Status.LIVE

    # Copy for a new wave: a draft, listed with the first wave.
    page.get_by_label("Slug").fill("china-2027")
    page.get_by_role("button", name="Copy as draft").click()
    assert page.locator("[data-status=draft]").is_visible()
    waves = page.locator("#waves tbody tr")
    assert waves.count() == 2
    assert waves.nth(0).inner_text().split("\t")[:2] == ["1", "china"]
    assert waves.nth(1).inner_text().split("\t")[:2] == ["2", "china-2027"]
    check("copy")

    assert {name: found for name, found in violations.items() if found} == {}
