"""What a panel already knows of a member, checked as the question checks an answer.

A panel file's columns and a provider's pre-filled link parameters carry answers the
respondent is not asked again for (region, age, gender). They count for screening and
quotas, so each is checked as the respondent's own answer would be on the page: its type
(whole numbers in ASCII digits only: not `1_000`, `1e29` or Arabic-Indic digits, which
Python's int() would take), its range (the question's, or what an answer may hold at
all), its choices, its length, and its constraint. A member whose known answers fail a
question's screening is eligible for nothing: `screened_out_by` names the question, the
panel file's report lists them, and their link ends at once as screened out.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from respondents.forms import MAX_LONG_TEXT, MAX_TEXT, MAX_WHOLE
from surveys.definition import CONTROL_CHARACTERS
from surveys.expressions import Evaluator, ExpressionError, parse, references
from surveys.models import Question, Survey
from surveys.questionnaire import questionnaire_of, version_key

WHOLE = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DECIMAL_PLACES = 6


class KnownAnswers:
    """A survey's questions, read once, to check many members' known answers."""

    def __init__(self, survey: Survey, variables: list[str] | None = None) -> None:
        # A repeat's questions are asked per entry: no panel column answers them.
        questions = (
            survey.questions.filter(repeat__isnull=True)
            .select_related("choice_list")
            .prefetch_related("choice_list__choices")
        )
        if variables is not None:
            questions = questions.filter(variable__in=variables)
        self.questions: dict[str, Question] = {q.variable: q for q in questions}
        self.choices = {
            name: {c.value for c in q.choice_list.choices.all()} if q.choice_list else set()
            for name, q in self.questions.items()
        }
        self._reads = {name: _reads(q.constraint) for name, q in self.questions.items()}

    def value(self, variable: str, raw: str) -> Any:
        """Return `raw` as the answer to `variable`, or raise ValueError saying why not."""
        return known_value(self.questions[variable], raw, self.choices[variable])

    def check(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Return the known answers of one member, and each (variable, reason) refused.

        Each value is checked alone, then against its question's constraint with the
        member's other known answers (a constraint reading an answer the panel does not
        know is left for the page, where the respondent gives it).
        """
        known: dict[str, Any] = {}
        refused: list[tuple[str, str]] = []
        for variable, text in raw.items():
            try:
                known[variable] = self.value(variable, text)
            except ValueError as exc:
                refused.append((variable, str(exc)))
        for variable, value in list(known.items()):
            question = self.questions[variable]
            if not _decidable(self._reads[variable], known, variable):
                continue
            if not _holds(question.constraint, known, value):
                refused.append((variable, _("is not accepted by the question's constraint")))
                del known[variable]
        return known, refused

    def screened_out_by(self, known: dict[str, Any]) -> str | None:
        """Return the first question whose screening the known answers fail, if any."""
        return _failed_screening(
            ((v, q.screening) for v, q in self.questions.items() if q.screening), known
        )


def screened_out_by(survey: Survey, known: dict[str, Any]) -> str | None:
    """Return the first question whose screening `known` fails, if any.

    A live or closed survey's screenings come from its questionnaire value (kept per
    process: no statement); a draft's, whose questions may change any time, are read.
    """
    if not known:
        return None
    if version_key(survey) is not None:
        screenings = [
            (question.variable, question.screening)
            for question in questionnaire_of(survey).questions()
            if question.screening and question.variable in known
        ]
    else:
        screenings = (
            survey.questions.filter(variable__in=list(known))
            .exclude(screening="")
            .order_by("position")
            .values_list("variable", "screening")
        )
    return _failed_screening(screenings, known)


def _failed_screening(screenings, known: dict[str, Any]) -> str | None:
    for variable, screening in screenings:
        if variable not in known or not _decidable(_reads(screening), known, variable):
            continue
        if not _holds(screening, known, known[variable]):
            return variable
    return None


def known_value(question: Question, raw: str, choices: set[str]) -> Any:
    """Return `raw` as an answer to `question`, or raise ValueError saying why not."""
    kind = question.type
    if CONTROL_CHARACTERS.search(raw) or "\x00" in raw:
        raise ValueError(_("contains a control character"))
    if kind == Question.Type.INTEGER:
        if not WHOLE.fullmatch(raw):
            raise ValueError(_("is not a whole number (digits 0-9 only)"))
        value = int(raw)
        _in_range(question, Decimal(value))
        return value
    if kind == Question.Type.DECIMAL:
        if not DECIMAL.fullmatch(raw):
            raise ValueError(_("is not a number (digits 0-9 and a decimal point only)"))
        value = Decimal(raw)
        _in_range(question, value)
        if -value.as_tuple().exponent > DECIMAL_PLACES and value != round(value, DECIMAL_PLACES):
            raise ValueError(_("has more than 6 decimals"))
        return format(value.normalize(), "f")
    if kind == Question.Type.SINGLE:
        if raw not in choices:
            raise ValueError(_("is not one of its answers"))
        return raw
    if kind == Question.Type.MULTIPLE:
        values = raw.split()
        if not set(values) <= choices or len(set(values)) != len(values):
            raise ValueError(_("is not one of its answers"))
        low, high = question.min_choices, question.max_choices
        if (low is not None and len(values) < low) or (high is not None and len(values) > high):
            raise ValueError(_("has too few or too many answers"))
        return values
    if kind == Question.Type.DATE:
        try:
            if not DATE.fullmatch(raw):
                raise ValueError
            return datetime.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError(_("is not a date (YYYY-MM-DD)")) from None
    if kind in (Question.Type.TEXT, Question.Type.LONG_TEXT):
        limit = MAX_LONG_TEXT if kind == Question.Type.LONG_TEXT else MAX_TEXT
        if len(raw) > limit:
            raise ValueError(_("is longer than %(n)d characters") % {"n": limit})
        return raw
    raise ValueError(_("is not a question a panel can answer"))


def _in_range(question: Question, value: Decimal) -> None:
    low = -MAX_WHOLE if question.min_value is None else question.min_value
    high = MAX_WHOLE if question.max_value is None else question.max_value
    if value < low:
        raise ValueError(_("is below the question's minimum, %(n)s") % {"n": _plain(low)})
    if value > high:
        raise ValueError(_("is above the question's maximum, %(n)s") % {"n": _plain(high)})


def _plain(number) -> str:
    return format(Decimal(number).normalize(), "f")


@lru_cache(maxsize=1024)
def _reads(text: str) -> frozenset[str] | None:
    """Return the answers an expression reads (None when it does not parse)."""
    if not text:
        return frozenset()
    try:
        return frozenset(references(parse(text)))
    except ExpressionError:
        return None


def _decidable(reads: frozenset[str] | None, known: dict[str, Any], variable: str) -> bool:
    return reads is not None and reads <= set(known) | {variable}


def _holds(expression: str, known: dict[str, Any], value: Any) -> bool:
    if not expression:
        return True
    return Evaluator(known).holds(expression, current=value)
