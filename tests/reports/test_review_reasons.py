"""Quality-control reasons in the review queue read as sentences, in the chosen language."""

import pytest
from django.utils import translation

from reports.review import reason_sentence
from surveys.models import Question
from surveys.questionnaire import questionnaire_of

pytestmark = pytest.mark.django_db


def sentence(survey, rule, reason, language="ru", interface="en"):
    with translation.override(interface):
        return reason_sentence(rule, reason, questionnaire_of(survey), language)


def test_an_attention_check_names_the_question_and_both_answers(kazakhstan):
    attention = Question.objects.get(survey=kazakhstan, variable="attention")
    labels = {c.value: c.label["ru"] for c in attention.choice_list.choices.all()}
    text = sentence(kazakhstan, "attention", "attention = '2' fails . = '4'")
    assert text == (
        f"The attention check “{attention.label['ru']}” was answered “{labels['2']}”"
        f" instead of “{labels['4']}”."
    )


def test_a_speeder_reads_in_minutes_in_the_interface_language(kazakhstan):
    text = sentence(kazakhstan, "speeder", "95 s, under 40% of the median 480 s", interface="ru")
    assert text == "Интервью заняло 1 мин 35 с — меньше 40% медианы (8 мин 00 с)."


def test_screening_duplicate_and_gibberish_read_as_sentences(kazakhstan):
    assert sentence(kazakhstan, "screening", "age is missing") == (
        "The screening question “Сколько вам полных лет?” has no answer."
    )
    assert sentence(kazakhstan, "duplicate", "same person as submission 17") == (
        "The same person as submission #17."
    )
    text = sentence(
        kazakhstan, "gibberish", "work_reason: keys typed along the keyboard ('qwerty')"
    )
    assert "looks like no answer: it is keys typed along the keyboard ('qwerty')" in text


def test_a_reason_of_an_unknown_shape_is_shown_as_stored(kazakhstan):
    assert sentence(kazakhstan, "speeder", "something new") == "something new"


def test_the_interviewer_rules_read_as_sentences(kazakhstan):
    from respondents.quality import (
        Case,
        Interview,
        interviewer_pace,
        interviewer_pattern,
        interviewer_short,
    )

    answers = {f"q{i}": "1" for i in range(12)}
    base = {"answers": answers, "seconds": 300.0, "interviewer": 1, "started": 1_718_000_000.0}
    overlap = interviewer_pace(
        Case(**base, interviewer_others=[Interview(9, 1_718_000_100.0, 600)])
    )
    copied = interviewer_pattern(
        Case(**base, interviewer_others=[Interview(9, 1_717_990_000.0, 600, answers)])
    )
    short = interviewer_short(
        Case(
            **base,
            interviewer_others=[Interview(k, 1_717_000_000.0 + k * 9000, 300) for k in range(4)],
            peer_seconds=[900.0] * 20,
        )
    )
    assert sentence(kazakhstan, "interviewer_pace", overlap.reason, interface="ru") == (
        "Пересекается по времени с анкетой №9 того же интервьюера на 3 мин."
    )
    assert sentence(kazakhstan, "interviewer_pattern", copied.reason) == (
        "12 of 12 answers are the same as in submission #9 by the same interviewer."
    )
    assert sentence(kazakhstan, "interviewer_short", short.reason) == (
        "The interviewer's median interview is 5 min, under 50% of the other interviewers' 15 min."
    )
