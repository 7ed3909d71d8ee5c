"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Without /usr/bin/chromium the tests skip with the reason (fail in CI, which installs it).
"""

import os
from pathlib import Path

import pytest

from tests.conftest import need_service

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's synchronous API runs an event loop in this thread; the test's own ORM
# calls are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        need_service("Chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A fresh browser window (its own cookies) the size of a laptop screen."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium):
    """A fresh window the size of a phone, with touch."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# axe-core, installed by `make test` from package-lock.json (`npm ci`; ADR 0021).
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA; what a respondent or a field manager would be stopped by.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_BLOCKING = ("serious", "critical")


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        need_service("axe-core", f"{AXE} is missing (make test runs npm ci)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    """Return a check of the page in front of the browser: its serious and critical
    accessibility violations, each as "rule: target (summary)"; [] when there are none.

    The script is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern: the pages are checked as they are served.
    """

    def check(page) -> list[str]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            AXE_TAGS,
        )
        return [
            f"{violation['id']} ({violation['impact']}): {' '.join(node['target'])}"
            f" — {node.get('failureSummary', '').splitlines()[-1].strip()}"
            for violation in result["violations"]
            if violation["impact"] in AXE_BLOCKING
            for node in violation["nodes"]
        ]

    return check
