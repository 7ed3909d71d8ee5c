import pytest

from respondents.models import QuotaSlot, Submission
from surveys.models import QuotaCell
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db


def test_a_panel_member_completes_the_kazakhstan_edition_in_russian(kazakhstan):
    person = Respondent_(invite(kazakhstan, region="almaty_city"))
    response = person.finish("ru", age=34, china_model="1")
    assert "Спасибо!" in response.content.decode()
    submission = person.submission
    assert submission.status == Submission.Status.COMPLETED
    assert submission.language == "ru"
    assert submission.answers["age"] == 34
    assert submission.answers["region"] == "almaty_city"
    assert set(submission.pages_done) == {p.name for p in kazakhstan.pages.all()}
    assert all(seconds >= 0 for seconds in submission.page_seconds.values())
    cell = QuotaCell.objects.get(survey=kazakhstan, name="almaty_city")
    assert cell.reserved == 1
    assert QuotaSlot.objects.get(submission=submission).cell == cell


def test_the_pages_speak_the_chosen_language(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    page = person.start("kk").content.decode()
    assert "Сіз неше жастасыз" in page
    assert "Келесі" in page  # Next, from the interface catalogue
    assert "Сколько вам" not in page


def test_the_follow_up_is_asked_only_after_success(kazakhstan):
    yes = Respondent_(invite(kazakhstan, "a"))
    yes.finish("ru", china_model="2")
    assert "china_model_value" in yes.submission.answers
    no = Respondent_(invite(kazakhstan, "b"))
    no.finish("ru", china_model="4", china_model_value=["1"])
    assert "china_model_value" not in no.submission.answers


def test_an_answer_posted_for_a_hidden_question_is_discarded(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    person.finish("ru", work_willing="5", work_reason="injected")
    assert "work_reason" not in person.submission.answers


def test_a_tampered_choice_value_is_rejected_and_nothing_is_stored(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    response = person.start("ru")
    page = person.current_page(response)
    response = person.answer(page, region="atlantis")
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert person.submission.answers == {}


def test_a_required_question_left_empty_is_asked_again(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    page = person.current_page(person.start("ru"))
    response = person.answer(page, gender=None)
    assert "Пожалуйста, ответьте на этот вопрос." in response.content.decode()
    assert person.submission.pages_done == []


def test_age_75_is_screened_out_politely_and_cannot_come_back(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    page = person.current_page(person.start("ru"))
    response = person.answer(page, age=75)
    assert "Благодарим вас за интерес" in response.content.decode()
    assert person.submission.status == Submission.Status.SCREENED_OUT
    again = person.client.get(f"/s/{person.token}/", follow=True).content.decode()
    assert "Благодарим вас за интерес" in again
    person.answer(page, age=30)
    assert person.submission.status == Submission.Status.SCREENED_OUT


def test_an_age_outside_the_sanity_range_is_an_error_not_a_screen_out(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    page = person.current_page(person.start("ru"))
    response = person.answer(page, age=500)
    assert response.status_code == 200
    assert person.submission.status == Submission.Status.IN_PROGRESS


def test_a_full_cell_sends_the_respondent_to_the_quota_full_page(kazakhstan):
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=0)
    person = Respondent_(invite(kazakhstan))
    page = person.current_page(person.start("ru"))
    response = person.answer(page, region="astana")
    assert person.submission.status == Submission.Status.OVER_QUOTA
    assert "ответы от людей" in response.content.decode()


def test_a_panel_member_known_to_be_in_a_full_cell_ends_at_the_start(kazakhstan):
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=0)
    person = Respondent_(invite(kazakhstan, region="astana"))
    person.start("kk")
    assert person.submission.status == Submission.Status.OVER_QUOTA


def test_leaving_mid_way_resumes_on_the_first_unanswered_page(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    first = person.current_page(person.start("ru"))
    second = person.current_page(person.answer(first, age=41))
    assert second != first
    browser_again = Respondent_(person.respondent)  # a new browser, the same link
    response = browser_again.client.get(f"/s/{person.token}/", follow=True)
    assert browser_again.current_page(response) == second
    assert person.submission.answers["age"] == 41


def test_back_returns_to_the_previous_page_with_its_answers(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    first = person.current_page(person.start("ru"))
    second = person.current_page(person.answer(first, age=52))
    response = person.client.post(f"/s/{person.token}/p/{second}/", {"back": "1"}, follow=True)
    assert person.current_page(response) == first
    assert 'value="52"' in response.content.decode()


def test_skipping_ahead_by_url_is_not_possible(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    first = person.current_page(person.start("ru"))
    response = person.client.get(f"/s/{person.token}/p/p_future/", follow=True)
    assert person.current_page(response) == first


def test_a_replayed_final_submit_stores_one_submission(kazakhstan):
    person = Respondent_(invite(kazakhstan, region="shymkent"))
    person.finish("ru")
    last = person.submission.pages_done[-1]
    replay = person.answer(last)
    assert "Спасибо!" in replay.content.decode()
    assert Submission.objects.filter(respondent=person.respondent).count() == 1
    assert QuotaCell.objects.get(survey=kazakhstan, name="shymkent").reserved == 1


def test_a_completed_link_shows_thanks_and_accepts_nothing(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    person.finish("kk")
    answers = person.submission.answers
    page = person.client.get(f"/s/{person.token}/", follow=True).content.decode()
    assert "Рақмет!" in page
    person.answer("p_screening", age=60)
    assert person.submission.answers == answers


def test_the_ip_is_stored_only_as_a_salted_hash(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    person.client.defaults["REMOTE_ADDR"] = "203.0.113.7"
    person.client.defaults["HTTP_USER_AGENT"] = "Mozilla/5.0 (Android 14)"
    person.start("ru")
    submission = person.submission
    assert submission.ip_hash and "203.0.113.7" not in submission.ip_hash
    assert len(submission.ip_hash) == 64
    assert submission.user_agent == "Mozilla/5.0 (Android 14)"


def test_the_china_edition_completes_in_chinese(china):
    person = Respondent_(invite(china, city="beijing"))
    response = person.finish("zh-hans")
    assert "谢谢" in response.content.decode()
    assert person.submission.status == Submission.Status.COMPLETED


def test_another_city_is_screened_out_in_china(china):
    person = Respondent_(invite(china))
    page = person.current_page(person.start("en"))
    response = person.answer(page, city="other")
    assert person.submission.status == Submission.Status.SCREENED_OUT
    assert "Thank you for your interest" in response.content.decode()
