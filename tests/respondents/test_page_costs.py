"""What a respondent's page costs, and that making it cheap changed nothing they see.

Questions are rendered once per process and state (respondents.rendering), the
questionnaire is kept unpickled per process (surveys.questionnaire), and a page reads
its respondent, survey and submission in one statement.
"""

import dataclasses
import pickle
import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.utils import translation

from fieldwork import memo
from fieldwork.memo import BoundedMemo
from respondents import rendering, selectors
from respondents.forms import PageForm
from respondents.models import Respondent, Submission
from surveys.models import Question, Survey
from surveys.questionnaire import questionnaire_of, version_key
from surveys.services import survey_set_status
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _page_html(person: Respondent_, page: str) -> str:
    response = person.client.get(f"/s/{person.token}/p/{page}/")
    assert response.status_code == 200
    # The CSRF token is masked afresh on every render; everything else must match.
    return CSRF.sub("", response.content.decode())


def _forms(survey: Survey, known: dict, answers: dict):
    """Yield an unbound page form for every page of `survey` in each of its languages."""
    questionnaire = questionnaire_of(survey)
    for language in survey.languages:
        for page in questionnaire.pages:
            yield language, PageForm(page, language, answers, known, questionnaire=questionnaire)


def test_a_question_from_the_memo_is_byte_identical_to_a_fresh_crispy_render(kazakhstan):
    known = {"region": "almaty_city", "age": 34, "gender": "female"}
    answers = {"education": "higher", "impress": ["growth"]}
    kept = 0
    for language, form in _forms(kazakhstan, known, answers):
        current = form._current()
        with translation.override(language):
            for question in form.questions:
                fresh = rendering.render(form, question, current)
                first = rendering.question_html(form, question, current)
                again = rendering.question_html(form, question, current)
                assert first == fresh
                assert again == fresh
                kept += rendering.fragment_key(form, question, current) is not None
                if question.type not in (Question.Type.GRID, Question.Type.NOTE):
                    # The fragment holds exactly what crispy-forms renders for the field.
                    assert as_crispy_field(form[question.variable]) in fresh
    assert kept > 50  # the demo's questions, in both languages, really come from the memo


def test_a_page_served_from_the_memos_is_the_page_rendered_afresh(kazakhstan):
    person = Respondent_(invite(kazakhstan, region="astana", age=40))
    first = person.current_page(person.start("ru"))
    cold = _page_html(person, first)
    warm = _page_html(person, first)
    memo.clear_all()
    assert _page_html(person, first) == cold == warm
    assert 'value="40"' in cold  # the known age, filled in


def test_the_page_form_with_errors_is_rendered_afresh_each_time(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    first = person.current_page(person.start("ru"))
    for typed in ("500", "600"):
        response = person.client.post(
            f"/s/{person.token}/p/{first}/", {"next": "1", "age": typed, "gender": "male"}
        )
        html = response.content.decode()
        assert f'value="{typed}"' in html
        assert "is-invalid" in html


def test_a_new_survey_version_is_not_served_stale_questions(kazakhstan):
    person = Respondent_(invite(kazakhstan))
    first = person.current_page(person.start("ru"))
    assert "Сколько вам" in _page_html(person, first)
    # Back to draft, a label edited, live again: the new version's page shows it.
    survey_set_status(kazakhstan, Survey.Status.DRAFT)
    question = Question.objects.get(survey=kazakhstan, variable="age")
    question.label = {**question.label, "ru": "Ваш возраст (полных лет)?"}
    question.save()
    kazakhstan.refresh_from_db()
    survey_set_status(kazakhstan, Survey.Status.LIVE)
    html = _page_html(person, first)
    assert "Ваш возраст (полных лет)?" in html
    assert "Сколько вам" not in html


def test_serving_pages_leaves_the_shared_questionnaire_as_it_was(kazakhstan):
    survey = Survey.objects.get(pk=kazakhstan.pk)
    before = pickle.dumps(questionnaire_of(survey))
    Respondent_(invite(kazakhstan, region="almaty_city")).finish("kk", age=30)
    shared = questionnaire_of(survey)
    assert shared is questionnaire_of(Survey.objects.get(pk=kazakhstan.pk))
    assert pickle.dumps(shared) == before
    # A frozen value: no request can patch it for the next one.
    with pytest.raises(dataclasses.FrozenInstanceError):
        shared.pages[0].questions[0].required = False


def test_a_typed_text_answer_is_not_kept_in_the_memo(kazakhstan):
    questionnaire = questionnaire_of(kazakhstan)
    text = next(
        q
        for q in questionnaire.questions()
        if q.type in (Question.Type.TEXT, Question.Type.LONG_TEXT)
    )
    page = next(p for p in questionnaire.pages if text in p.questions)
    form = PageForm(
        page, "ru", {text.variable: "Иван, ул. Абая 1"}, {}, questionnaire=questionnaire
    )
    assert rendering.fragment_key(form, text, form._current()) is None
    empty = PageForm(page, "ru", {}, {}, questionnaire=questionnaire)
    assert rendering.fragment_key(empty, text, empty._current()) is not None


def test_a_draft_survey_is_never_kept(kazakhstan):
    survey_set_status(kazakhstan, Survey.Status.DRAFT)
    kazakhstan.refresh_from_db()
    assert version_key(kazakhstan) is None
    for _language, form in _forms(kazakhstan, {}, {}):
        for question in form.questions:
            assert rendering.fragment_key(form, question, form._current()) is None
        break


def test_a_memo_keeps_at_most_its_size_dropping_the_least_recently_used():
    kept = BoundedMemo("test", maxsize=2)
    kept.set("a", 1)
    kept.set("b", 2)
    assert kept.get("a") == 1  # "b" is now the least recently used
    kept.set("c", 3)
    assert len(kept) == 2
    assert kept.get("b") is None
    assert (kept.get("a"), kept.get("c")) == (1, 3)


def test_a_memo_of_texts_keeps_at_most_its_characters():
    kept = BoundedMemo("test", maxsize=100, max_chars=10)
    kept.set("a", "x" * 4)
    kept.set("b", "y" * 4)
    kept.set("c", "z" * 4)  # 12 characters: "a", the least recently used, goes
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (None, "y" * 4, "z" * 4)
    kept.set("b", "w" * 2)  # replacing a value counts its new length only
    kept.set("d", "v" * 4)
    assert len(kept) == 3
    kept.set("huge", "u" * 11)  # longer than the whole memo: never kept
    assert kept.get("huge") is None and len(kept) == 3


def test_a_page_shown_costs_at_most_two_statements(kazakhstan, django_assert_max_num_queries):
    person = Respondent_(invite(kazakhstan, region="almaty_city"))
    first = person.current_page(person.start("ru"))
    person.client.get(f"/s/{person.token}/p/{first}/")  # the questionnaire read once
    # The respondent with survey and submission, and the time the page was shown.
    with django_assert_max_num_queries(2):
        response = person.client.get(f"/s/{person.token}/p/{first}/")
    assert response.status_code == 200


def test_starting_costs_at_most_six_statements(kazakhstan, django_assert_max_num_queries):
    warm = Respondent_(invite(kazakhstan, "p0", region="almaty_city"))
    warm.start("ru")  # the questionnaire read once
    person = Respondent_(invite(kazakhstan, region="almaty_city", age=30))
    person.client.get(f"/s/{person.token}/")
    # The respondent with survey; the submission and the survey's count in a savepoint;
    # a full hard cell asked of the database. The known answers' screening is read from
    # the questionnaire value, not the database.
    with django_assert_max_num_queries(6):
        response = person.client.post(f"/s/{person.token}/", {"language": "ru"})
    assert response.status_code == 302
    assert person.submission.status == "in_progress"


def test_a_page_saved_costs_at_most_six_statements(kazakhstan, django_assert_max_num_queries):
    person = Respondent_(invite(kazakhstan, region="almaty_city"))
    first = person.current_page(person.start("ru"))
    person.client.get(f"/s/{person.token}/p/{first}/")
    data = person.page_data(first, {"age": 30})
    # Read, then in one transaction lock, write (BEGIN and COMMIT counted on PostgreSQL),
    # then ask the database for a full hard cell.
    with django_assert_max_num_queries(6):
        response = person.client.post(f"/s/{person.token}/p/{first}/", data)
    assert response.status_code == 302
    assert person.submission.answers["age"] == 30
    assert person.submission.pages_done == [first]


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_one_statement_read_gives_what_the_orm_gives(kazakhstan, django_assert_num_queries):
    person = Respondent_(invite(kazakhstan, region="almaty_city", age=33))
    with django_assert_num_queries(1):
        before = selectors.respondent_for_link(person.token)
        assert selectors.submission_of(before) is None
    person.finish("ru")
    with django_assert_num_queries(1):
        respondent = selectors.respondent_for_link(person.token)
        submission = selectors.submission_of(respondent)
        # Attached, not loaded again.
        assert submission.respondent is respondent
        assert submission.survey is respondent.survey
    assert _fields(respondent) == _fields(Respondent.objects.get(pk=respondent.pk))
    assert _fields(respondent.survey) == _fields(Survey.objects.get(pk=kazakhstan.pk))
    stored = Submission.objects.get(pk=submission.pk)
    assert _fields(submission) == _fields(stored)
    assert submission.answers["age"] == 33 and submission.ended is not None
    assert selectors.respondent_for_link("x" * 43) is None


def test_the_language_choice_from_the_memo_is_what_crispy_renders(kazakhstan):
    from respondents.forms import LanguageForm

    for preferred in ("kk", "ru"):
        for interface in ("kk", "ru", "en"):
            with translation.override(interface):
                form = LanguageForm(kazakhstan, initial={"language": preferred})
                fresh = as_crispy_field(form["language"])
                assert rendering.language_choice_html(form, kazakhstan) == fresh
                assert rendering.language_choice_html(form, kazakhstan) == fresh  # kept
    memo.clear_all()
    pages = []
    for panel_id in ("p1", "p2"):  # rendered, then from the memo
        person = Respondent_(invite(kazakhstan, panel_id, language="ru"))
        pages.append(CSRF.sub("", person.client.get(f"/s/{person.token}/").content.decode()))
    assert pages[0] == pages[1]
    assert 'value="ru"' in pages[0] and "checked" in pages[0]


def test_a_second_start_racing_the_first_gets_the_same_submission(kazakhstan):
    from respondents.models import SurveyStats
    from respondents.services import submission_start

    respondent = invite(kazakhstan, region="almaty_city")
    # Two requests that both read "no submission yet" before either started one.
    first_read = selectors.respondent_for_link(respondent.token)
    second_read = selectors.respondent_for_link(respondent.token)
    first = submission_start(first_read, "ru")
    second = submission_start(second_read, "kk")
    assert second.pk == first.pk and second.language == "ru"
    assert Submission.objects.filter(respondent=respondent).count() == 1
    assert SurveyStats.objects.get(survey=kazakhstan).started == 1


def test_a_page_shown_afresh_is_what_its_page_form_renders(kazakhstan):
    known = {"region": "almaty_city", "age": 34, "gender": "female"}
    answers = {"education": "higher", "impress": ["growth"], "proj_khorgos": "1"}
    questionnaire = questionnaire_of(kazakhstan)
    for language in kazakhstan.languages:
        with translation.override(language):
            for page in questionnaire.pages:
                form = PageForm(page, language, answers, known, questionnaire=questionnaire)
                fresh = [rendering.render(form, q, form._current()) for q in form.questions]
                memo.clear_all()
                assert (
                    rendering.page_questions(page, questionnaire, language, answers, known) == fresh
                )
                # Now from the memo, without a form; and the form's own way agrees.
                assert (
                    rendering.page_questions(page, questionnaire, language, answers, known) == fresh
                )
                assert form.rendered_questions() == fresh


def test_a_page_shown_afresh_from_the_memo_builds_no_form(kazakhstan, monkeypatch):
    questionnaire = questionnaire_of(kazakhstan)
    page = questionnaire.pages[1]
    first = rendering.page_questions(page, questionnaire, "ru", {}, {})

    def no_form(*args, **kwargs):
        raise AssertionError("a page form was built")

    monkeypatch.setattr("respondents.forms.PageForm.__init__", no_form)
    assert rendering.page_questions(page, questionnaire, "ru", {}, {}) == first


def test_only_choices_and_numbers_are_kept_never_text_or_a_posted_value(kazakhstan):
    questionnaire = questionnaire_of(kazakhstan)
    age = next(q for q in questionnaire.questions() if q.variable == "age")
    single = next(q for q in questionnaire.questions() if q.type == Question.Type.SINGLE)
    choice = single.choices[0].value
    page = next(p for p in questionnaire.pages if age in p.questions)

    def key(question, answers, data=None):
        form = PageForm(page, "ru", answers, {}, data, questionnaire=questionnaire)
        return rendering.fragment_key(form, question, form._current())

    assert key(age, {}) is not None  # an empty field: the same for everyone
    assert key(age, {"age": 41}) is not None  # a number, as stored or as the panel knew it
    assert key(age, {"age": "forty-one"}) is None  # not a number: never kept
    page = next(p for p in questionnaire.pages if single in p.questions)
    assert key(single, {single.variable: choice}) is not None
    assert key(single, {single.variable: "not-a-choice"}) is None
    # Whatever is posted (refused pages are the only ones shown again) is rendered afresh.
    assert key(single, {}, {single.variable: choice, "next": "1"}) is None
