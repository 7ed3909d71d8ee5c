"""A preview walks the questionnaire through the page services and stores nothing."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from reports.access import VIEWERS
from reports.models import Assignment
from surveys.models import QuotaCell, Survey
from surveys.services import QuotaCellSpec, quota_cells_define, survey_import_xlsform
from tests import bilingual_form
from tests.conftest import go_live, table_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(make_form):
    return survey_import_xlsform(bilingual_form.write(make_form), "china").survey


@pytest.fixture
def client(survey):
    user = User.objects.create_user("manager", password="pw-123456")
    user.groups.add(Group.objects.get(name=VIEWERS))
    Assignment.objects.create(user=user, survey=survey)
    client = Client()
    client.force_login(user)
    return client


def start(client, language="ru", page=""):
    response = client.post("/manage/china/preview/", {"language": language, "start": page})
    assert response.status_code == 302
    return client.get(response.url, follow=True)


def answer(client, page, **data):
    return client.post(f"/manage/china/preview/p/{page}/", {"next": "1", **data}, follow=True)


def test_a_draft_is_previewed_with_its_skip_logic_and_nothing_is_stored(client, survey):
    before = table_counts()
    first = start(client)
    assert first.redirect_chain[-1][0] == "/manage/china/preview/p/p_who/"
    page = first.content.decode()
    assert "Сколько вам лет?" in page and "data-preview" in page
    answer(client, "p_who", age="34", region="astana")
    # Not been to China: the follow-up page is skipped.
    end = answer(client, "p_been", been="2")
    assert end.redirect_chain[-1][0] == "/manage/china/preview/p/p_end/"
    done = answer(client, "p_end", comment="")
    assert done.redirect_chain[-1][0] == "/manage/china/preview/end/"
    assert 'data-end="completed"' in done.content.decode()
    assert table_counts() == before
    assert survey.status == Survey.Status.DRAFT


def test_the_follow_up_shows_to_those_it_asks(client):
    start(client)
    answer(client, "p_who", age="34", region="astana")
    response = answer(client, "p_been", been="1")
    assert response.redirect_chain[-1][0] == "/manage/china/preview/p/p_visit/"
    assert "В каком городе вы были?" in response.content.decode()


def test_validation_refuses_an_answer_as_for_a_respondent(client):
    start(client, "kk")
    response = answer(client, "p_who", age="abc", region="astana")
    page = response.content.decode()
    assert response.redirect_chain == []
    assert "error-summary" in page and "Жасыңыз нешеде?" in page


def test_screening_ends_the_preview_on_the_screened_out_page(client):
    start(client)
    response = answer(client, "p_who", age="16", region="astana")
    assert 'data-end="screened_out"' in response.content.decode()


def test_a_preview_starts_at_any_page_and_switches_language(client):
    response = start(client, "kk", page="p_end")
    assert response.redirect_chain[-1][0] == "/manage/china/preview/p/p_end/"
    assert "Пікіріңіз" in response.content.decode()
    switched = client.post(
        "/manage/china/preview/language/", {"language": "ru", "page": "p_end"}, follow=True
    )
    assert "Ваш комментарий" in switched.content.decode()


def test_a_full_cell_ends_a_preview_as_over_quota_without_taking_a_slot(client, survey):
    quota_cells_define(
        survey, [QuotaCellSpec("astana", {"kk": "А", "ru": "А"}, "${region} = 'astana'", 0)]
    )
    before = table_counts()
    start(client)
    response = answer(client, "p_who", age="34", region="astana")
    assert 'data-end="over_quota"' in response.content.decode()
    assert QuotaCell.objects.get().reserved == 0
    assert table_counts() == before


def test_the_preview_bar_is_in_the_managers_language_and_the_page_in_the_chosen_one(client):
    client.post("/manage/china/preview/", {"language": "kk", "start": ""})
    page = client.get(
        "/manage/china/preview/p/p_who/", headers={"accept-language": "ru"}
    ).content.decode()
    assert '<html lang="kk">' in page
    assert "Жасыңыз нешеде?" in page
    assert 'lang="ru" data-preview' in page and "Это предпросмотр" in page


def test_the_end_pages_can_be_looked_at_in_each_language(client):
    page = client.get("/manage/china/preview/end/?status=over_quota&lang=kk").content.decode()
    assert 'data-end="over_quota"' in page and '<html lang="kk">' in page


def test_a_live_survey_is_previewed_too_and_its_counts_do_not_move(client, survey):
    Survey.objects.filter(pk=survey.pk).update(
        fieldwork_start=datetime.date(2026, 1, 1), fieldwork_end=datetime.date(2026, 1, 31)
    )
    go_live(Survey.objects.get(pk=survey.pk))
    before = table_counts()
    start(client)
    answer(client, "p_who", age="34", region="almaty")
    answer(client, "p_been", been="2")
    assert 'data-end="completed"' in answer(client, "p_end").content.decode()
    assert table_counts() == before


def test_someone_not_assigned_cannot_preview(survey):
    user = User.objects.create_user("other", password="pw-123456")
    user.groups.add(Group.objects.get(name=VIEWERS))
    client = Client()
    client.force_login(user)
    assert client.get("/manage/china/preview/").status_code == 404


def test_the_welcome_page_starts_a_preview_in_the_language_chosen(client, survey):
    page = client.get("/manage/china/preview/welcome/").content.decode()
    assert "Қытай туралы сауалнама" in page and "Опрос о Китае" in page and "data-preview" in page
    response = client.post("/manage/china/preview/welcome/", {"language": "ru"}, follow=True)
    assert response.redirect_chain[-1][0] == "/manage/china/preview/p/p_who/"
    assert "Сколько вам лет?" in response.content.decode()
