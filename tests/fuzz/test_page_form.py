"""The page form on its own, as the API's ingestion uses it: what it accepts can be stored.

Values arrive here as any text Python can hold, lone surrogates included (a JSON body can
carry "\\ud800"), which no browser form post can send.
"""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from hypothesis import given
from hypothesis import strategies as st

from respondents.forms import PageForm
from surveys.questionnaire import questionnaire_of
from tests.fuzz.conftest import FUZZ, is_storable_answer, page_questions, valid_values

pytestmark = pytest.mark.django_db

# Hypothesis' text() never holds lone surrogates, even when asked: join characters.
any_text = st.lists(
    st.one_of(st.characters(), st.sampled_from("\ud800\udbff\udc00\udfff\x00")),
    max_size=20,
).map("".join)


@pytest.mark.parametrize("page_name", ["p_choice", "p_numbers", "p_text"])
def test_what_the_page_form_accepts_can_be_stored(every_type, page_name):
    questionnaire = questionnaire_of(every_type)
    page = questionnaire.page(page_name)
    questions = page_questions(questionnaire, page_name)

    def value(question, name):
        valid = valid_values(question, name)
        return st.one_of(valid, valid, any_text, st.lists(st.one_of(valid, any_text), max_size=3))

    @FUZZ
    @given(
        data=st.fixed_dictionaries({name: value(q, name) for name, q in questions.items()}),
        answers=st.fixed_dictionaries({"single": st.sampled_from(["yes", "no"])}),
    )
    def check(data, answers):
        posted = MultiValueDict()  # as the web form posts, and as ingestion builds it
        for name, given_value in data.items():
            items = given_value if isinstance(given_value, list) else [given_value]
            posted.setlist(name, [str(item) for item in items])
        with translation.override("ru"):
            form = PageForm(
                page, "ru", answers, {}, posted, questionnaire=questionnaire_of(every_type)
            )
            if not form.is_valid():
                assert form.errors
                return
        for name, stored in form.page_answers.items():
            assert is_storable_answer(questions[name], stored), (name, stored)
            # What PostgreSQL's jsonb takes: UTF-8 text without NUL.
            json.dumps(stored, ensure_ascii=False).encode("utf-8")

    check()


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "a\x00b"])
def test_text_that_cannot_be_stored_is_refused_with_a_message(every_type, text):
    page = questionnaire_of(every_type).page("p_text")
    posted = MultiValueDict({"why": ["because"], "story": [text]})
    with translation.override("en"):
        form = PageForm(
            page, "en", {"single": "yes"}, {}, posted, questionnaire=questionnaire_of(every_type)
        )
        assert not form.is_valid()
        assert form.errors["story"] == ["The text contains a character that is not allowed."]
