"""Shared pieces of the fuzz tests: a form with every question type, and hostile values."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from surveys.models import Question, Survey
from surveys.questionnaire import Questionnaire
from surveys.services import survey_import_xlsform
from tests.conftest import go_live

EN, RU = "label::English (en)", "label::Russian (ru)"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

# Bounded so that the whole fuzz suite stays within a couple of minutes on SQLite;
# FUZZ_EXAMPLES=500 searches harder.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE_TEXT = [
    "x" * 100_000,
    "🙂" * 20_000,
    "\x00",
    "a\x00b",
    "\x00" * 50,
    SCRIPT,
    IMG,
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "sNaN",
    "-1",
    "-99999999999999999999999",
    "9" * 5000,
    "1" + "0" * 30,
    "0x10",
    "１２",
    "1_000",
    "  42  ",
    "10000-01-01",
    "0000-00-00",
    "2024-02-30",
    "0001-01-01",
    "9999-12-31",
    "-2024-01-01",
    "",
    " ",
    "\u202e\u200b\ufeff",
    "${age}",
    "' or 1=1 --",
    "%00",
    "\r\n\t",
    "\\",
    "[]",
    '{"a": 1}',
    "null",
    "\ud800",  # a lone surrogate: sent as bytes that are not UTF-8
    "\udfff",
]
# Raw bytes on the wire: invalid UTF-8, overlong encodings, a NUL, a byte-order mark.
HOSTILE_BYTES = [b"\xff\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"\x80abc", b"\x00", b"\xef\xbb\xbf"]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=40),
)
hostile_value = st.one_of(hostile_text, st.sampled_from(HOSTILE_BYTES), st.binary(max_size=20))


def valid_values(question: Question, name: str) -> st.SearchStrategy:
    """Return a strategy for values a browser could post for one answer of `question`."""
    kind = question.type
    if kind in (Question.Type.SINGLE, Question.Type.GRID, Question.Type.MULTIPLE):
        values = [choice.value for choice in question.choices]
        if kind == Question.Type.MULTIPLE:
            return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)
        return st.sampled_from(values)
    if kind in (Question.Type.INTEGER, Question.Type.DECIMAL):
        low = int(question.min_value) if question.min_value is not None else None
        high = int(question.max_value) if question.max_value is not None else None
        if low is not None and high is not None:
            return st.integers(low, high).map(str)
        # A number without bounds: any size a person can type, and then some.
        huge = st.sampled_from([10**14, 10**30, -(10**400), 10**4000])
        return st.one_of(st.integers(-1000, 1000), st.integers(low, high), huge).map(str)
    if kind == Question.Type.DATE:
        return st.dates(datetime.date(1900, 1, 1), datetime.date(2030, 12, 31)).map(str)
    return st.text(max_size=30)


def encode_body(pairs: list[tuple[str | bytes, str | bytes]]) -> bytes:
    """Encode key/value pairs as a form post; text with lone surrogates becomes bad UTF-8."""

    def raw(item: str | bytes) -> bytes:
        if isinstance(item, bytes):
            return item
        return item.encode("utf-8", "surrogatepass")

    return b"&".join(
        quote_from_bytes(raw(key)).encode() + b"=" + quote_from_bytes(raw(value)).encode()
        for key, value in pairs
    )


def post_form(client, url: str, pairs: list[tuple[Any, Any]], **extra):
    return client.post(
        url,
        encode_body(pairs),
        content_type="application/x-www-form-urlencoded",
        **extra,
    )


def is_storable_answer(question: Question, value: Any) -> bool:
    """Return whether `value` is something the page form may have stored for `question`."""
    kind = question.type
    if kind in (Question.Type.SINGLE, Question.Type.GRID, Question.Type.MULTIPLE):
        values = {choice.value for choice in question.choices}
        if kind == Question.Type.MULTIPLE:
            return (
                isinstance(value, list)
                and bool(value)
                and all(isinstance(v, str) and v in values for v in value)
            )
        return isinstance(value, str) and value in values
    if kind == Question.Type.INTEGER:
        return isinstance(value, int) and _in_range(question, Decimal(value))
    if kind == Question.Type.DECIMAL:
        try:
            number = Decimal(value)
        except (InvalidOperation, TypeError):
            return False
        return isinstance(value, str) and number.is_finite() and _in_range(question, number)
    if kind == Question.Type.DATE:
        try:
            datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    limit = 5000 if kind == Question.Type.LONG_TEXT else 1000
    return isinstance(value, str) and 0 < len(value) <= limit and "\x00" not in value


def _in_range(question: Question, number: Decimal) -> bool:
    """Within the question's range; without one, within what reports and browsers can hold."""
    low, high = question.min_value, question.max_value
    return (
        abs(number) < Decimal("1e14")
        and (low is None or number >= low)
        and (high is None or number <= high)
    )


def page_questions(questionnaire: Questionnaire, page_name: str) -> dict[str, Question]:
    """Return the page's answer names, each with its question."""
    page = questionnaire.page(page_name)
    return {name: q for q in page.questions for name in q.answer_names}


class rolled_back:
    """Run a block in a savepoint that is always rolled back: each example starts afresh."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def __exit__(self, *exc):
        transaction.set_rollback(True)
        return self.atomic.__exit__(*exc)


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """Hundreds of posts a minute from one address are the point here, not an attack."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def every_type(make_form) -> Survey:
    """A small live bilingual survey with every question type, constraints and skip logic."""
    rows = [
        {"type": "begin group", "name": "p_choice", EN: "Choices", RU: "Выбор"},
        {
            "type": "select_one yn",
            "name": "single",
            EN: "Travel?",
            RU: "Ездите?",
            "required": "yes",
        },
        {
            "type": "select_multiple colour",
            "name": "multiple",
            EN: "Colours",
            RU: "Цвета",
            "min_choices": "1",
            "max_choices": "2",
            "constraint": "not(selected(., 'none') and count-selected(.) > 1)",
            "constraint_message::English (en)": "None goes alone",
            "constraint_message::Russian (ru)": "Нет — только отдельно",
        },
        {
            "type": "begin group",
            "name": "grid",
            EN: "Rate",
            RU: "Оцените",
            "appearance": "table-list",
        },
        {"type": "select_one scale", "name": "grid_a", EN: "A", RU: "А", "required": "yes"},
        {"type": "select_one scale", "name": "grid_b", EN: "B", RU: "Б", "required": "yes"},
        {"type": "end group"},
        {"type": "end group"},
        {"type": "begin group", "name": "p_numbers", EN: "Numbers", RU: "Числа"},
        {
            "type": "integer",
            "name": "age",
            EN: "Age",
            RU: "Возраст",
            "required": "yes",
            "min_value": "0",
            "max_value": "120",
            "constraint": ". != 13",
        },
        {
            "type": "decimal",
            "name": "amount",
            EN: "Amount",
            RU: "Сумма",
            "min_value": "-5.5",
            "max_value": "1000",
        },
        {"type": "decimal", "name": "unbounded", EN: "Any number", RU: "Любое число"},
        {"type": "integer", "name": "count", EN: "Any whole number", RU: "Любое целое"},
        {
            "type": "date",
            "name": "when",
            EN: "When",
            RU: "Когда",
            "constraint": ". <= today()",
        },
        {"type": "end group"},
        {"type": "begin group", "name": "p_text", EN: "Texts", RU: "Тексты"},
        {"type": "note", "name": "intro", EN: "You said ${single}", RU: "Вы ответили ${single}"},
        {
            "type": "text",
            "name": "why",
            EN: "Why?",
            RU: "Почему?",
            "required": "yes",
            "relevant": "${single} = 'yes'",
            "constraint": "string-length(.) > 1",
        },
        {
            "type": "text",
            "name": "story",
            EN: "Tell us",
            RU: "Расскажите",
            "appearance": "multiline",
        },
        {"type": "end group"},
    ]
    choices = [
        *(
            {"list_name": "yn", "name": value, EN: en, RU: ru}
            for value, en, ru in [("yes", "Yes", "Да"), ("no", "No", "Нет")]
        ),
        *(
            {"list_name": "colour", "name": value, EN: value, RU: value}
            for value in ("red", "blue", "green", "none")
        ),
        *({"list_name": "scale", "name": str(n), EN: str(n), RU: str(n)} for n in (1, 2, 3)),
    ]
    settings_row = {"form_title::English (en)": "Fuzz", "form_title::Russian (ru)": "Фазз"}
    survey = survey_import_xlsform(make_form(rows, choices, settings_row), "every-type").survey
    return go_live(survey)
