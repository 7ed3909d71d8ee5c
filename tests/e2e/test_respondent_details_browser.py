"""What a respondent notices on each page (issue 15, items 4 and 5), in a real browser."""

import pytest

from tests.e2e.test_respondent_browser import answer_until, answer_visible, link, start, submit

pytestmark = pytest.mark.django_db(transaction=True)

KZ_RU = "Взаимное восприятие Казахстана и Китая: опрос 2024 года"
KZ_KK = "Қазақстан мен Қытайдың өзара қабылдауы: 2024 жылғы сауалнама"


def test_the_title_is_in_the_chosen_language_on_every_page_and_the_last_says_submit(
    live_server, browser_page, demo
):
    page = browser_page
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="ru"), "Русский")
    buttons = []
    for _ in range(20):
        if not page.locator("#page-form").count():
            break
        assert page.locator("header .survey-title").inner_text() == KZ_RU
        assert page.title() == KZ_RU
        buttons.append(page.locator("button[name=next]").inner_text())
        answer_visible(page, {"age": 40})
        submit(page)
    assert page.get_by_role("heading", name="Спасибо!").is_visible()
    assert page.locator("header .survey-title").inner_text() == KZ_RU  # the end page too
    assert KZ_KK not in page.content()
    assert buttons[-1] == "Отправить" and set(buttons[:-1]) == {"Далее"}


def test_an_english_respondent_sees_the_english_title(live_server, browser_page, demo):
    page = browser_page
    start(page, link(live_server, demo["gt2024-china"], city="shanghai"), "English")
    assert page.locator("header .survey-title").inner_text() == (
        "China–Kazakhstan Mutual Perception Survey 2024"
    )


def test_a_refused_page_focuses_a_summary_whose_links_reach_each_question(
    live_server, browser_page, demo
):
    page = browser_page
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="ru"), "Русский")
    # Required questions are marked, and the mark is explained.
    assert "*" in page.locator("[data-question=age] label").first.inner_text()
    assert page.locator(".required-note").is_visible()
    submit(page)  # nothing answered
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = page.locator("#error-summary a")
    assert links.count() == 3  # age, gender, region
    assert "Сколько вам полных лет?" in links.first.inner_text()
    links.first.click()
    assert page.evaluate("document.activeElement.id") == "id_age"
    links.nth(2).click()
    assert page.evaluate("document.activeElement.name") == "region"


def test_the_welcome_page_says_how_long_and_asks_consent(live_server, browser_page, demo):
    page = browser_page
    page.goto(link(live_server, demo["gt2024-kazakhstan"], language="ru"))
    assert page.locator(
        "[data-length] [lang=ru]", has_text="Интервью займёт около 10 минут."
    ).is_visible()
    assert page.locator(".consent [lang=ru]", has_text="Участие в опросе добровольное").is_visible()
    assert page.locator(".consent [lang=kk]", has_text="Сауалнамаға қатысу ерікті").is_visible()


def test_a_long_grid_fits_its_card_at_800_pixels(live_server, chromium, demo):
    context = chromium.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    start(page, link(live_server, demo["gt2024-kazakhstan"], "grid-800", language="ru"), "Русский")
    answer_until(page, "proj_welcome", {"age": 33})
    for grid in page.locator("[data-question] table.grid:visible").all():
        widths = grid.evaluate(
            "t => [t.getBoundingClientRect().right,"
            " t.closest('.card-body').getBoundingClientRect().right]"
        )
        assert widths[0] <= widths[1] + 0.5, "the grid overflows its card"
    context.close()


def test_a_long_title_takes_two_lines_at_most_on_a_phone(live_server, phone_page, demo):
    page = phone_page
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="kk"), "Қазақ тілі")
    title = page.locator("header .survey-title")
    lines = title.evaluate(
        "e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)"
    )
    assert lines <= 2.05
