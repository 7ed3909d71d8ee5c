"""The pages work in a real browser under the Content-Security-Policy, without violations."""

import pytest
from django.contrib.auth.models import User

from surveys.models import Survey
from tests.e2e.test_respondent_browser import answer_until, link, start

pytestmark = pytest.mark.django_db(transaction=True)

# Recorded in the page itself: Playwright's init scripts run outside the page's policy.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


class Watch:
    """Collect what the browser reports as refused by the policy, in events and console."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        return [*self.page.evaluate("window.cspViolations || []"), *self.console]


def test_the_respondent_form_runs_its_skip_logic_under_the_policy(live_server, browser_page, demo):
    page = browser_page
    watch = Watch(page)
    response = page.goto(link(live_server, demo["gt2024-kazakhstan"], language="ru"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    start(page, page.url, "Русский")
    answer_until(page, "china_model", {"age": 40})
    follow_up = page.locator("[data-question=china_model_value]")
    model = page.locator("[data-question=china_model]")
    assert follow_up.is_hidden()
    model.get_by_label("Полностью успешны").check()
    assert follow_up.is_visible()
    model.get_by_label("Совсем не успешны").check()
    assert follow_up.is_hidden()
    # The progress bar's width is a style attribute: allowed, and applied.
    bar = page.locator(".progress-bar").first
    assert bar.evaluate("el => el.style.width") == bar.get_attribute("style").split(":")[1].strip(
        " ;"
    )
    assert watch.violations() == []


def test_an_injected_inline_script_is_refused_and_reported(live_server, browser_page, demo):
    """The policy is enforced: the check above would see a violation if there were one."""
    page = browser_page
    watch = Watch(page)
    start(page, link(live_server, demo["gt2024-kazakhstan"], language="ru"), "Русский")
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.appendChild(script);
    }"""
    )
    page.wait_for_function("window.cspViolations.length > 0")
    assert page.evaluate("window.injected === undefined")
    assert any(v.startswith("script-src") for v in watch.violations())


def test_the_dashboard_sorts_and_refreshes_under_the_policy(
    live_server, browser_page, demo, settings
):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    User.objects.create_superuser("boss", password="a-long-password-7")
    page = browser_page
    watch = Watch(page)
    page.goto(f"{live_server.url}/manage/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("a-long-password-7")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/manage/gt2024-kazakhstan/")
    page.wait_for_selector("table.cells")
    target = page.locator("table.cells th[data-sort]", has_text="Target")
    target.click()
    targets = page.locator("tr[data-cell] td:nth-child(2)")
    first = [int(t) for t in targets.all_inner_texts()]
    target.click()
    second = [int(t) for t in targets.all_inner_texts()]
    assert first != second and sorted(first) == sorted(second)
    assert second in (sorted(second), sorted(second, reverse=True))
    # A refresh (fetch to the same origin) replaces the figures without a violation.
    page.evaluate("window.notReloaded = true")
    page.wait_for_timeout(2500)
    assert page.evaluate("window.notReloaded") is True
    assert watch.violations() == []


def test_the_django_admin_works_under_the_policy(live_server, browser_page, demo):
    User.objects.create_superuser("root", password="a-long-password-8")
    survey = demo["gt2024-kazakhstan"]
    page = browser_page
    watch = Watch(page)
    page.goto(f"{live_server.url}/admin/")
    page.locator("#id_username").fill("root")
    page.locator("#id_password").fill("a-long-password-8")
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#content-main")
    page.goto(f"{live_server.url}/admin/surveys/survey/")
    # actions.js: ticking "select all" ticks every row and counts them.
    page.locator("#action-toggle").check()
    assert page.locator("input.action-select:checked").count() == Survey.objects.count()
    assert page.locator(".action-counter").inner_text().startswith(f"{Survey.objects.count()} of")
    page.goto(f"{live_server.url}/admin/surveys/survey/{survey.pk}/change/")
    page.wait_for_selector("#survey_form")
    assert watch.violations() == []
