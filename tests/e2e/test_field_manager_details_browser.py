"""What a field manager notices on their pages (issue 15, item 7), in a real browser,
with the interface in Russian."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from respondents.models import Submission, Verdict
from respondents.simulation import simulate_fieldwork
from respondents.validation import submission_override, submission_validate
from surveys.models import Survey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def russian_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def fieldwork(transactional_db):
    call_command("load_demo")
    kazakhstan = Survey.objects.get(slug="gt2024-kazakhstan")
    simulate_fieldwork(kazakhstan, 60, seed=11)
    # Validated here: with a broker configured, nothing would until a worker ran.
    for pk in Submission.objects.filter(survey=kazakhstan, status="completed").values_list(
        "pk", flat=True
    ):
        submission_validate(pk)
    boss = User.objects.create_superuser("boss", password="a-long-password-10")
    flagged = (
        Submission.objects.filter(survey=kazakhstan, status="completed")
        .exclude(qc_verdict__in=["", Verdict.VALID])
        .order_by("pk")
    )
    assert flagged.count() >= 2, "the simulation flagged too few to review"
    submission_override(flagged[0], Verdict.INVALID, "Перезвонили: анкету заполнял не он", boss)
    return kazakhstan


def log_in(page, live_server):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Панель полевых работ").click()  # the home page leads on
    page.locator("#id_username").fill("boss")
    page.locator("#id_password").fill("a-long-password-10")
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()
    assert page.url.endswith("/manage/")


def test_numbers_and_cell_names_follow_the_interface_language(live_server, russian_page, fieldwork):
    page = russian_page
    log_in(page, live_server)
    china = page.locator("a[href$='/manage/gt2024-china/'] .headline")
    assert china.inner_text() == "0 / 1\xa0213"
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    assert page.locator("tr[data-cell=astana] td").first.inner_text().startswith("город Астана")


def test_the_review_queue_says_who_decided_why_and_reads_reasons_as_sentences(
    live_server, russian_page, fieldwork
):
    page = russian_page
    log_in(page, live_server)
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/review/")
    override = page.locator("[data-override]")
    assert override.count() == 1
    assert "boss" in override.inner_text()
    assert "Перезвонили: анкету заполнял не он" in override.inner_text()
    reasons = page.locator("li[data-rule]").all_inner_texts()
    assert reasons
    for reason in reasons:
        assert " fails " not in reason and "${" not in reason and ". =" not in reason
    # The answers in the survey's other language.
    page.locator("select[name=lang]").select_option("kk")
    page.get_by_role("button", name="Отобрать").click()
    page.locator("details").first.locator("summary").click()
    assert page.locator("details dt", has_text="Сіз неше жастасыз").first.is_visible()


def test_the_crosstab_warns_of_low_bases_and_prints_no_zero_margin(
    live_server, russian_page, fieldwork
):
    page = russian_page
    log_in(page, live_server)
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/crosstab/?col=region")
    page.wait_for_selector("table.crosstab")
    assert page.locator("[data-low-base]").first.is_visible()
    text = page.locator("table.crosstab").inner_text()
    assert "±0,0" not in text and "±0.0" not in text
    # 60 respondents over 17 regions: every region's column is flagged, the total is not.
    flagged = page.locator("th[data-low-base]").count()
    assert flagged >= 1
    assert flagged < page.locator("table.crosstab thead th").count() - 1
