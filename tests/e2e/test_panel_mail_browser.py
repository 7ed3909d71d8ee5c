"""A field manager uploads a panel, previews the Russian invitation and sends it; the
member opens the link from the message the SMTP server received. axe-core checks each page."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from fieldwork.celery import app as celery_app
from mailings.models import MailingSchedule, Send
from reports.access import FIELD_MANAGERS
from reports.models import Assignment
from surveys.models import Survey
from tests.mailings.conftest import smtp, smtp_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

PANEL = (
    "panel_id,language,email,name,region,age\n"
    "kz-1,ru,anna@example.kz,Анна,almaty_city,34\n"
    "kz-2,kk,erlan@example.kz,Ерлан,astana,{age}\n"
)


def test_upload_fix_preview_send_and_open_the_link(
    live_server,
    browser_page,
    axe,
    smtp,  # noqa: F811 (the fixture imported above)
    settings,
    monkeypatch,
    tmp_path,
):
    settings.SITE_URL = live_server.url
    # (Celery's configuration, not Django's settings: Celery reads those once.)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    call_command("load_demo", verbosity=0)
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    MailingSchedule.objects.create(survey=survey, rate_per_minute=6000)
    manager = User.objects.create_user("manager", password="a-long-password-1")
    manager.groups.add(Group.objects.get(name=FIELD_MANAGERS))
    Assignment.objects.create(user=manager, survey=survey)
    bad, good = tmp_path / "bad.csv", tmp_path / "panel.csv"
    bad.write_text(PANEL.format(age=200), encoding="utf-8")
    good.write_text(PANEL.format(age=27), encoding="utf-8")

    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/?next=/manage/{survey.slug}/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Panel and e-mail").click()
    assert axe(page) == []

    page.get_by_label("Panel file (CSV or XLSX)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and invite").click()
    refusal = page.locator(".panel-errors")
    assert "line 3: age '200' is above the question's maximum, 120" in refusal.inner_text()
    assert page.get_by_text("bad.csv was refused; nobody was invited.").is_visible()
    assert axe(page) == []
    assert not survey.respondents.exists()

    page.get_by_role("link", name="Back to the panel").click()
    page.get_by_label("Panel file (CSV or XLSX)").set_input_files(str(good))
    page.get_by_role("button", name="Upload and invite").click()
    assert page.get_by_text("panel.csv: 2 members; 2 invited, 2 of them new.").is_visible()
    assert axe(page) == []

    page.get_by_role("link", name="Back to the panel").click()
    page.get_by_role("link", name="Messages").click()
    page.locator("a[data-language=ru]").click()
    preview = page.locator("[data-preview-body]")
    assert preview.inner_text().startswith("Здравствуйте, Анна!")
    assert page.locator("[data-preview-subject]").inner_text().startswith("Приглашение: ")
    assert axe(page) == []

    page.get_by_role("link", name=survey.display_title).click()
    page.get_by_role("button", name="Send invitations").click()
    assert page.get_by_text("Wave 1: 2 invitations are being sent.").is_visible()
    assert axe(page) == []

    deadline = time.monotonic() + 20
    while not smtp.to("anna@example.kz") and time.monotonic() < deadline:
        time.sleep(0.2)
    (message,) = smtp.to("anna@example.kz")
    assert str(message.message["Subject"]).strip().startswith("Приглашение: ")
    link = re.search(rf"{re.escape(live_server.url)}/m/[A-Za-z0-9_-]+/", message.body).group(0)
    page.goto(link)
    anna = survey.respondents.get(panel_id="kz-1")
    assert page.url.endswith(anna.get_absolute_url())
    assert Send.objects.get(respondent=anna).opened is not None
    assert axe(page) == []
