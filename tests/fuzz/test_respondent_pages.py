"""Hostile posts to every respondent page: never a server error, never a partial write.

Each test walks one respondent through a questionnaire; on every page it lets hypothesis
post random and hostile values (huge strings, wrong types, unknown choices, NUL bytes,
bytes that are not UTF-8, scripts, extreme numbers and dates, repeated, extra and missing
fields) in a savepoint that is rolled back after each example, then answers the page
properly and goes on.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from respondents.models import Submission
from surveys.models import Survey
from surveys.questionnaire import questionnaire_of
from tests.conftest import table_counts
from tests.fuzz.conftest import (
    FUZZ,
    SCRIPT,
    encode_body,
    hostile_text,
    hostile_value,
    is_storable_answer,
    page_questions,
    post_form,
    rolled_back,
    valid_values,
)
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db


def field_values(question, name):
    """What a post holds for one answer: valid, hostile, several of either, or nothing."""
    one_valid = valid_values(question, name).map(lambda v: v[0] if isinstance(v, list) else v)
    valid = valid_values(question, name).map(lambda v: v if isinstance(v, list) else [v])
    return st.one_of(
        valid,
        valid,  # twice as likely: a page is taken only when all its answers are valid
        st.lists(hostile_value, min_size=1, max_size=3),
        st.lists(st.one_of(one_valid, hostile_value), min_size=2, max_size=3),
        st.just([]),
    )


def assert_no_injected_markup(content: str) -> None:
    assert SCRIPT not in content
    assert "<img src=x" not in content


def snapshot(token: str) -> tuple:
    submission = Submission.objects.get(respondent__token=token)
    return submission.answers, submission.pages_done, submission.status, submission.language


def fuzz_page(person: Respondent_, page_name: str) -> None:
    """Post hypothesis' values to one page and check what the respondent and database see."""
    questionnaire = questionnaire_of(person.respondent.survey)
    questions = page_questions(questionnaire, page_name)
    url = f"/s/{person.token}/p/{page_name}/"
    fields = st.fixed_dictionaries({name: field_values(q, name) for name, q in questions.items()})
    extra = st.lists(st.tuples(st.one_of(hostile_text, st.binary(max_size=8)), hostile_value))

    @FUZZ
    @given(values=fields, extra=extra, button=st.sampled_from(["next", "", "back"]))
    def check(values, extra, button):
        pairs = [(button, "1")] if button else []
        pairs += [(name, value) for name, posted in values.items() for value in posted]
        pairs += extra
        before, before_tables = snapshot(person.token), table_counts()
        with rolled_back():
            response = post_form(person.client, url, pairs)
            assert response.status_code in (200, 302), response.status_code
            after = snapshot(person.token)
            content = response.content.decode()
            assert_no_injected_markup(content)
            if "respondents/page.html" in [t.name for t in response.templates]:
                # Refused: the person is told why, and nothing at all was written.
                form = response.context["form"]
                # (A post with nothing at all, not even a CSRF token, shows the page again.)
                assert form.errors or not pairs, "a page re-shown must say what is wrong"
                with translation.override(before[3]):
                    for messages in form.errors.values():
                        for message in messages:
                            assert escape(message) in content
                assert after == before
                assert table_counts() == before_tables
                return
            # Taken: on to another page, or to the end (screened out, over quota, done).
            if response.status_code == 302:
                assert response["Location"].startswith(f"/s/{person.token}/")
            else:
                assert after[2] != Submission.Status.IN_PROGRESS
            answers = after[0]
            for name, question in questions.items():
                if name in answers:
                    assert is_storable_answer(question, answers[name]), (name, answers[name])
            # Answers to other pages are kept or, when now hidden, dropped; never invented.
            for name, value in answers.items():
                if name not in questions:
                    assert before[0].get(name) == value

    check()


def walk(person: Respondent_, language: str, answers: dict | None = None) -> list[str]:
    """Start, fuzz each page the respondent reaches, answer it properly; return the pages."""
    response = person.start(language)
    seen = []
    for _ in range(30):
        page = person.current_page(response)
        if page is None:
            break
        seen.append(page)
        fuzz_page(person, page)
        response = person.answer(page, **(answers or {}))
        assert response.status_code == 200
    return seen


def test_no_hostile_post_breaks_a_page_of_the_kazakhstan_edition(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    pages = walk(person, "kk", {"age": 34, "china_model": "1", "closer": "1"})
    assert pages == [page.name for page in kazakhstan.pages.order_by("position")]
    assert person.submission.status == Submission.Status.COMPLETED


def test_no_hostile_post_breaks_a_page_of_a_form_with_every_question_type(every_type):
    person = Respondent_(invite(every_type))
    pages = walk(person, "ru", {"single": "yes", "why": "because"})
    assert pages == ["p_choice", "p_numbers", "p_text"]
    assert person.submission.status == Submission.Status.COMPLETED


def test_a_csrf_valid_post_to_a_page_not_yet_reached_changes_nothing(every_type):
    respondent = invite(every_type)
    client, csrf = csrf_client(respondent)
    before, before_tables = snapshot(respondent.token), table_counts()
    for page in ("p_numbers", "p_text", "nowhere", "p_choice\x00", "..", "%2e%2e"):
        response = client.post(
            f"/s/{respondent.token}/p/{page}/",
            {"next": "1", "age": "30", "why": SCRIPT, "story": "x", **csrf},
        )
        assert response.status_code == 302
        assert response["Location"] == f"/s/{respondent.token}/next/"
    assert snapshot(respondent.token) == before
    assert table_counts() == before_tables
    # Without the token the same post is refused outright, and the refusal is a 403.
    response = client.post(f"/s/{respondent.token}/p/p_choice/", {"next": "1", "single": "yes"})
    assert response.status_code == 403
    assert snapshot(respondent.token) == before


def test_a_post_of_the_csrf_token_alone_asks_for_the_required_answers(every_type):
    respondent = invite(every_type)
    client, csrf = csrf_client(respondent)
    before = snapshot(respondent.token)
    response = client.post(f"/s/{respondent.token}/p/p_choice/", csrf)
    assert response.status_code == 200
    assert "Please answer this question." in response.content.decode()
    assert snapshot(respondent.token) == before


def csrf_client(respondent) -> tuple[Client, dict]:
    """Return a client that CSRF checks apply to, started in English, and its token."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(f"/s/{respondent.token}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    csrf = {"csrfmiddlewaretoken": token.group(1)}
    client.post(f"/s/{respondent.token}/", {"language": "en", **csrf})
    return client, csrf


@pytest.fixture
def started(every_type):
    person = Respondent_(invite(every_type))
    person.start("en")
    return person


def test_junk_sent_to_the_language_switch_keeps_a_language_of_the_survey(started):
    url = f"/s/{started.token}/language/"

    @FUZZ
    @given(
        language=st.lists(st.one_of(st.sampled_from(["en", "ru", "kk", "EN"]), hostile_value)),
        page=st.lists(st.one_of(st.sampled_from(["p_choice", "p_text"]), hostile_value)),
    )
    def check(language, page):
        pairs = [("language", value) for value in language] + [("page", v) for v in page]
        before = snapshot(started.token)
        with rolled_back():
            response = post_form(started.client, url, pairs)
            assert response.status_code == 302
            assert response["Location"].startswith(f"/s/{started.token}/")
            answers, pages_done, status, language_now = snapshot(started.token)
            assert language_now in ("en", "ru")
            assert (answers, pages_done, status) == before[:3]

    check()


def test_junk_at_the_entry_page_starts_in_a_language_of_the_survey_or_says_why(every_type):
    @FUZZ
    @given(
        language=st.lists(st.one_of(st.sampled_from(["en", "ru"]), hostile_value), max_size=3),
        agent=st.one_of(st.sampled_from(["", "x" * 100_000, "a\x00b", SCRIPT]), hostile_text),
        forwarded=st.one_of(st.just("1.2.3.4"), hostile_text),
    )
    def check(language, agent, forwarded):
        respondent = invite(every_type, "entry-fuzz")
        before_tables = table_counts()
        with rolled_back():
            response = post_form(
                Client(),
                f"/s/{respondent.token}/",
                [("language", value) for value in language],
                HTTP_USER_AGENT=agent.encode("utf-8", "surrogatepass").decode("latin-1"),
                HTTP_X_FORWARDED_FOR=forwarded.encode("utf-8", "surrogatepass").decode("latin-1"),
            )
            assert response.status_code in (200, 302)
            content = response.content.decode()
            assert_no_injected_markup(content)
            submission = Submission.objects.filter(respondent=respondent).first()
            if response.status_code == 200:
                assert response.context["form"].errors or not language
                assert submission is None
                assert table_counts() == before_tables
            else:
                assert submission.language in ("en", "ru")
                assert "\x00" not in submission.user_agent
                assert len(submission.user_agent) <= 500

    check()


def test_junk_in_links_is_a_plain_not_found_or_a_redirect(every_type):
    every_type.open_link = True
    every_type.save(update_fields=["open_link"])
    respondent = invite(every_type)

    @FUZZ
    @given(
        token=st.one_of(st.just(respondent.token), hostile_text),
        page=st.one_of(st.sampled_from(["p_choice", "p_text"]), hostile_text),
        slug=st.one_of(st.just("every-type"), hostile_text),
        cookie=st.one_of(st.just(""), hostile_text),
    )
    def check(token, page, slug, cookie):
        client = Client()
        if cookie:
            client.cookies[f"fieldwork_open_{every_type.pk}"] = cookie.encode(
                "utf-8", "surrogatepass"
            ).decode("latin-1")
        with rolled_back():
            for path in (f"/s/{token}/", f"/s/{token}/p/{page}/", f"/s/{token}/next/"):
                assert client.get(_path(path)).status_code in (200, 302, 404)
            assert client.post(_path(f"/s/{token}/language/")).status_code in (302, 404)
            for method in (client.get, client.post):
                response = method(_path(f"/o/{slug}/"))
                assert response.status_code in (200, 302, 404)
                assert_no_injected_markup(response.content.decode())

    check()
    assert Survey.objects.get(pk=every_type.pk).open_link


def _path(text: str) -> str:
    """Percent-encode a path the way a browser would send it, bad bytes included."""
    from urllib.parse import quote_from_bytes

    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="/")


def test_junk_in_a_panel_providers_entry_link_starts_the_respondent_or_says_why(every_type):
    from integrations.models import Provider, ProviderRespondent

    Provider.objects.create(
        survey=every_type, name="Acme", slug="acme", prefill={"a": "age", "s": "single"}
    )
    key = st.one_of(st.sampled_from(["pid", "lang", "a", "s"]), hostile_text)

    @FUZZ
    @given(pairs=st.lists(st.tuples(key, st.one_of(st.just("p1"), hostile_value)), max_size=6))
    def check(pairs):
        query = encode_body(pairs).decode()
        before_tables = table_counts()
        with rolled_back():
            response = Client().get(f"/p/every-type/acme/?{query}")
            assert response.status_code in (302, 400, 403, 409), response.status_code
            assert_no_injected_markup(response.content.decode())
            if response.status_code == 302:
                link = ProviderRespondent.objects.get(provider__slug="acme")
                assert response["Location"] == f"/s/{link.respondent.token}/"
                assert not any("\x00" in k + v for k, v in link.params.items())
            else:
                assert response.context["reason"]
                assert table_counts() == before_tables
                assert not ProviderRespondent.objects.exists()

    check()


# The inputs that found a bug, kept as plain tests so that every run tries them.


def test_a_nul_in_the_user_agent_is_not_stored(every_type):
    respondent = invite(every_type)
    Client().post(f"/s/{respondent.token}/", {"language": "en"}, HTTP_USER_AGENT="a\x00b")
    assert Submission.objects.get(respondent=respondent).user_agent == "ab"


def test_a_nul_as_the_page_to_go_back_to_after_a_language_switch_is_ignored(started):
    response = started.client.post(
        f"/s/{started.token}/language/", {"language": "ru", "page": "p_choice\x00"}
    )
    assert response["Location"] == f"/s/{started.token}/next/"
    assert started.submission.language == "ru"


def test_a_nul_in_a_provider_links_parameters_is_refused_with_the_links_page(every_type):
    from integrations.models import Provider

    Provider.objects.create(survey=every_type, name="Acme", slug="acme")
    before = table_counts()
    response = Client().get("/p/every-type/acme/?pid=p1&lang=%00")
    assert response.status_code == 400
    assert "This link cannot be used" in response.content.decode()
    assert table_counts() == before


@pytest.mark.parametrize("number", [str(10**14), str(10**30), str(-(10**400)), "1" * 4000])
def test_a_number_too_big_for_the_reports_is_refused_on_a_question_without_bounds(started, number):
    started.answer("p_choice", single="no")
    before = snapshot(started.token)
    for name in ("count", "unbounded"):
        response = started.client.post(
            f"/s/{started.token}/p/p_numbers/", {"next": "1", "age": "30", name: number}
        )
        assert response.status_code == 200
        assert response.context["form"].errors[name]
        assert snapshot(started.token) == before


def test_a_post_after_the_end_changes_nothing_and_shows_the_end(every_type):
    person = Respondent_(invite(every_type))
    person.finish("en", single="no")
    before, before_tables = snapshot(person.token), table_counts()
    assert before[2] == Submission.Status.COMPLETED
    for page in ("p_choice", "p_numbers", "p_text"):
        response = post_form(
            person.client, f"/s/{person.token}/p/{page}/", [("next", "1"), ("single", "yes")]
        )
        assert response.status_code == 200
        assert "respondents/end.html" in [t.name for t in response.templates]
    assert snapshot(person.token) == before
    assert table_counts() == before_tables
