"""A respondent in a real browser: what they see and click, from link to the end."""

import pytest

from respondents.models import Submission
from respondents.panel import PanelMember
from respondents.services import panel_invite

pytestmark = pytest.mark.django_db(transaction=True)


def link(live_server, survey, panel_id="p1", language="", **known):
    respondents, _ = panel_invite(survey, [PanelMember(panel_id, language, known)])
    return f"{live_server.url}/s/{respondents[0].token}/"


def start(page, url, language_name):
    page.goto(url)
    page.get_by_label(language_name).check()
    with page.expect_navigation():  # the load event: the deferred form script has run
        page.locator("button[type=submit]").click()
    page.wait_for_selector("#page-form")


def answer_visible(page, answers):
    """Answer every visible question on the page: `answers` by variable, else the first option."""
    for block in page.locator("[data-question]:visible").all():
        variable = block.get_attribute("data-question")
        radios = block.locator("input[type=radio]")
        checkboxes = block.locator("input[type=checkbox]")
        inputs = block.locator("input[type=number], input[type=text], input[type=date], textarea")
        wanted = answers.get(variable)
        if radios.count():
            for name in dict.fromkeys(r.get_attribute("name") for r in radios.all()):
                group = block.locator(f"input[type=radio][name='{name}']")
                choice = answers.get(name, wanted)
                if choice is None and block.locator(f"input[name='{name}']:checked").count():
                    continue  # keep what the panel already knew
                target = (
                    group.locator(f"xpath=self::*[@value='{choice}']") if choice else group.first
                )
                (target if target.count() else group.first).check()
        elif checkboxes.count():
            if not block.locator("input[type=checkbox]:checked").count():
                checkboxes.first.check()
        elif inputs.count():
            if wanted is not None:
                inputs.first.fill(str(wanted))
            elif not inputs.first.input_value():
                inputs.first.fill(
                    "35" if inputs.first.get_attribute("type") == "number" else "Опыт работы"
                )


def submit(page):
    """Click Next and wait for the page the server answers with."""
    with page.expect_navigation():
        page.locator("button[name=next]").click()


def answer_until(page, variable, answers, limit=10):
    """Answer page after page until the question `variable` is on screen."""
    for _ in range(limit):
        if page.locator(f"[data-question={variable}]").count():
            return
        answer_visible(page, answers)
        submit(page)
    raise AssertionError(f"{variable} never came")


def complete(page, answers, limit=20):
    for _ in range(limit):
        if not page.locator("#page-form").count():
            return
        answer_visible(page, answers)
        submit(page)
    raise AssertionError("the questionnaire did not end")


def test_the_kazakhstan_edition_is_completed_in_russian(live_server, browser_page, demo):
    page = browser_page
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="ru"), "Русский")
    assert page.get_by_text("Сколько вам полных лет?").is_visible()
    assert page.get_by_role("button", name="Далее").is_visible()
    complete(page, {"age": 34, "region": "karaganda"})
    assert page.get_by_role("heading", name="Спасибо!").is_visible()
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.COMPLETED
    assert submission.answers["region"] == "karaganda"


def test_the_kazakhstan_edition_is_completed_in_kazakh(live_server, browser_page, demo):
    page = browser_page
    start(page, link(live_server, demo["gt2024-kazakhstan"]), "Қазақ тілі")
    assert page.get_by_text("Сіз неше жастасыз").is_visible()
    assert page.get_by_role("button", name="Келесі").is_visible()
    complete(page, {"age": 27})
    assert page.get_by_role("heading", name="Рақмет!").is_visible()
    assert Submission.objects.get().language == "kk"


def test_the_follow_up_appears_and_disappears_with_its_trigger(live_server, browser_page, demo):
    page = browser_page
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="ru"), "Русский")
    answer_until(page, "china_model", {"age": 40})
    follow_up = page.locator("[data-question=china_model_value]")
    model = page.locator("[data-question=china_model]")
    assert follow_up.is_hidden()
    model.get_by_label("Полностью успешны").check()
    assert follow_up.is_visible()
    assert follow_up.get_by_text("Имеет для Казахстана").first.is_visible()
    model.get_by_label("Совсем не успешны").check()
    assert follow_up.is_hidden()
    model.get_by_label("В целом успешны").check()
    assert follow_up.is_visible()


def test_age_75_is_screened_out(live_server, browser_page, demo):
    page = browser_page
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="ru"), "Русский")
    answer_visible(page, {"age": 75})
    submit(page)
    assert page.get_by_role("heading", name="Благодарим вас за интерес").is_visible()
    assert Submission.objects.get().status == Submission.Status.SCREENED_OUT
    page.goto(page.url)
    assert page.get_by_role("heading", name="Благодарим вас за интерес").is_visible()


def test_leaving_mid_way_resumes_where_the_respondent_stopped(
    live_server, chromium, browser_page, demo
):
    url = link(live_server, demo["gt2024-kazakhstan"], language="ru")
    page = browser_page
    start(page, url, "Русский")
    answer_visible(page, {"age": 58})
    submit(page)
    second_title = page.locator("h1").inner_text()
    page.context.close()  # the browser is closed

    later = chromium.new_context().new_page()
    later.goto(url)
    assert later.locator("h1").inner_text() == second_title
    later.get_by_role("button", name="Назад").click()
    assert later.get_by_label("Сколько вам полных лет?").input_value() == "58"
    later.context.close()


def test_the_china_edition_is_completed_in_chinese_on_a_phone(live_server, phone_page, demo):
    page = phone_page
    start(page, link(live_server, demo["gt2024-china"], city="shanghai"), "简体中文")
    assert page.get_by_role("button", name="下一页").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    complete(page, {"age": 30})
    assert page.get_by_role("heading", name="谢谢！").is_visible()
    assert Submission.objects.get().answers["city"] == "shanghai"


def test_a_grid_is_a_table_on_a_laptop_and_stacks_on_a_phone(
    live_server, browser_page, phone_page, demo
):
    survey = demo["gt2024-kazakhstan"]
    for page, stacked in ((browser_page, False), (phone_page, True)):
        start(page, link(live_server, survey, f"grid-{stacked}", language="ru"), "Русский")
        answer_until(page, "proj_welcome", {"age": 33})
        grid = page.locator("[data-question=proj_welcome] table.grid")
        header = grid.locator("thead")
        assert header.is_visible() is not stacked
        option = grid.locator("tbody tr").first.locator(".option-label").first
        assert option.is_visible() is stacked
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0


def test_the_first_page_can_be_answered_with_the_keyboard_alone(live_server, browser_page, demo):
    page = browser_page
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="ru"), "Русский")
    age = page.get_by_label("Сколько вам полных лет?")
    age.focus()
    page.keyboard.type("44")
    page.keyboard.press("Tab")  # to the first gender option
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # to the region options
    page.keyboard.press("Space")
    page.locator("button[name=next]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Какое у вас образование?").is_visible()
    answers = Submission.objects.get().answers
    assert (answers["age"], answers["gender"], answers["region"]) == (44, "male", "almaty_city")
