"""Abuse: rate limits on respondents' links and logins, lock-out after failed logins,
and questionnaire text that cannot run script in anyone's browser."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from respondents.panel import PanelMember
from respondents.services import panel_invite
from surveys.models import Survey
from surveys.services import survey_import_xlsform
from tests.conftest import go_live

pytestmark = pytest.mark.django_db

LIMITS = {
    "login_ip": "100/m",
    "login_pair": "100/m",
    "respondent_ip": "1000/m",
    "respondent_link": "1000/m",
}


@pytest.fixture
def limits(settings, one_rate_window):
    settings.RATE_LIMITS = dict(LIMITS)
    return settings.RATE_LIMITS


@pytest.fixture
def kazakhstan(db):
    call_command("load_demo")
    return Survey.objects.get(slug="gt2024-kazakhstan")


def links(survey, n):
    respondents, _ = panel_invite(survey, [PanelMember(f"p{i}", "ru", {}) for i in range(n)])
    return [f"/s/{r.token}/" for r in respondents]


def test_one_link_opened_too_often_gets_the_429_page_in_its_language(kazakhstan, limits):
    limits["respondent_link"] = "3/m"
    [link] = links(kazakhstan, 1)
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    assert [client.get(link).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(link)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Слишком много запросов" in refused.content.decode()
    # Someone else's link is not held back by it.
    other = links(kazakhstan, 2)[1]
    assert Client().get(other).status_code == 200


def test_one_address_trying_many_links_is_held_back(kazakhstan, limits):
    limits["respondent_ip"] = "5/m"
    client = Client(REMOTE_ADDR="192.0.2.10")
    codes = [client.get(link).status_code for link in links(kazakhstan, 7)]
    assert codes == [200] * 5 + [429, 429]
    # Another address is not.
    assert Client(REMOTE_ADDR="192.0.2.11").get(links(kazakhstan, 8)[-1]).status_code == 200


def test_guessing_tokens_is_limited_too(kazakhstan, limits):
    limits["respondent_ip"] = "3/m"
    client = Client(REMOTE_ADDR="192.0.2.20")
    codes = [client.get(f"/s/{'x' * 43}{i}/").status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_login_posts_are_limited_per_user_name_and_address(db, limits):
    limits["login_pair"] = "3/m"
    User.objects.create_user("ana", password="right-password-1")
    client = Client(REMOTE_ADDR="192.0.2.7")
    codes = [
        client.post("/accounts/login/", {"username": "ana", "password": f"wrong-{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    # The same user name from another address is another pair.
    owner = Client(REMOTE_ADDR="192.0.2.8")
    ok = owner.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert ok.status_code == 302 and "_auth_user_id" in owner.session


def test_wrong_passwords_from_rotating_addresses_do_not_keep_the_owner_out(db, settings):
    # The limits as deployed: eleven wrong passwords a minute from rotating addresses
    # used to exhaust the per-user-name limit (10 a minute) and lock the owner out.
    User.objects.create_user("ana", password="right-password-1")
    for i in range(40):
        Client(REMOTE_ADDR=f"198.51.100.{i % 8}").post(
            "/accounts/login/", {"username": "ana", "password": f"guess-{i}"}
        )
    owner = Client(REMOTE_ADDR="203.0.113.9")
    ok = owner.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert ok.status_code == 302 and "_auth_user_id" in owner.session


def shift_login_records(minutes: int) -> None:
    """Move every failed-login record `minutes` into the past, as if time had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))
    AccessAttemptExpiration.objects.update(expires_at=F("expires_at") - timedelta(minutes=minutes))


def lock_out(username: str, address: str, limit: int) -> None:
    client = Client(REMOTE_ADDR=address)
    for i in range(limit):
        client.post("/accounts/login/", {"username": username, "password": f"no-{i}"})


def test_the_lock_out_backs_off_for_a_user_name_attacked_from_many_addresses(db, limits, settings):
    settings.LOGIN_BACKOFF_FAILURES = 10
    User.objects.create_user("ana", password="right-password-1")
    User.objects.create_user("bob", password="right-password-2")
    limit = settings.AXES_FAILURE_LIMIT
    # bob mistyped from one address; ana is attacked from four (20 failures: two
    # doublings of the 15 minutes).
    lock_out("bob", "192.0.2.50", limit)
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"):
        lock_out("ana", address, limit)
    attacker = Client(REMOTE_ADDR="198.51.100.1")
    page = attacker.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert page.status_code == 429
    assert "Try again in 60 minutes" in page.content.decode()

    shift_login_records(20)
    # bob's 15 minutes are over; ana's attacker is still held, even with the password ...
    bob = Client(REMOTE_ADDR="192.0.2.50")
    assert (
        bob.post(
            "/accounts/login/", {"username": "bob", "password": "right-password-2"}
        ).status_code
        == 302
    )
    held = attacker.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert held.status_code == 429 and "_auth_user_id" not in attacker.session
    # ... while ana herself, on an address that never failed, gets in.
    owner = Client(REMOTE_ADDR="203.0.113.9")
    ok = owner.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert ok.status_code == 302

    # A try during a lock-out starts it again: an hour after the last one, it is over.
    shift_login_records(61)
    again = attacker.post("/accounts/login/", {"username": "ana", "password": "wrong-again"})
    assert again.status_code == 200


def test_the_back_off_stops_at_its_longest_lock_out(db, limits, settings):
    settings.LOGIN_BACKOFF_FAILURES = 1  # five failures: 15 minutes doubled five times
    settings.LOGIN_LOCKOUT_MAX = timedelta(hours=2)
    User.objects.create_user("ana", password="right-password-1")
    lock_out("ana", "198.51.100.1", settings.AXES_FAILURE_LIMIT)
    page = Client(REMOTE_ADDR="198.51.100.1").post(
        "/accounts/login/", {"username": "ana", "password": "x"}
    )
    assert "Try again in 120 minutes" in page.content.decode()


def test_five_wrong_passwords_lock_the_account_on_that_address(db, limits, settings):
    User.objects.create_user("ana", password="right-password-1")
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = attacker.post("/accounts/login/", {"username": "ana", "password": f"no-{i}"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Locked even with the right password, on this address ...
    locked = attacker.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert locked.status_code == 429 and "_auth_user_id" not in attacker.session
    # ... and the admin's login is the same door.
    admin_login = attacker.post(
        "/admin/login/", {"username": "ana", "password": "right-password-1"}
    )
    assert admin_login.status_code == 429
    # The owner on another connection still gets in.
    owner = Client(REMOTE_ADDR="192.0.2.1")
    ok = owner.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
    assert ok.status_code == 302 and "_auth_user_id" in owner.session


def test_a_success_before_the_limit_starts_the_count_again(db, limits, settings):
    User.objects.create_user("ana", password="right-password-1")
    client = Client(REMOTE_ADDR="192.0.2.5")
    for round_ in range(2):
        for i in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post("/accounts/login/", {"username": "ana", "password": f"no-{round_}{i}"})
        ok = client.post("/accounts/login/", {"username": "ana", "password": "right-password-1"})
        assert ok.status_code == 302
        client.logout()


SCRIPT = "<script>alert('x')</script>"
IMAGE = '<img src=x onerror="alert(1)">'


def test_script_in_an_imported_xlsform_renders_inert(make_form, admin_client):
    path = make_form(
        [
            {"type": "begin group", "name": "p1", "label": f"Page {SCRIPT}"},
            {
                "type": "select_one yn",
                "name": "q1",
                "label": f"Question {SCRIPT}",
                "hint": f"Hint {IMAGE}",
            },
            {"type": "text", "name": "q2", "label": f"Why? {IMAGE}", "required": "yes"},
            {"type": "end group", "name": ""},
        ],
        [
            {"list_name": "yn", "name": "yes", "label": f"Yes {SCRIPT}"},
            {"list_name": "yn", "name": "no", "label": "No"},
        ],
        {"form_title": f"Title {SCRIPT}", "form_id": "xss"},
    )
    survey = survey_import_xlsform(path, "xss").survey
    go_live(survey)
    [link] = links(survey, 1)
    client = Client()
    welcome = client.get(link).content.decode()
    page = client.post(link, {"language": survey.default_language}, follow=True).content.decode()
    for html in (welcome, page):
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in page  # shown as text, not dropped
    assert "&lt;img src=x onerror=" in page
    for url in (
        reverse("admin:surveys_survey_changelist"),
        reverse("admin:surveys_question_changelist"),
        reverse("admin:surveys_choicelist_changelist"),
    ):
        html = admin_client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
