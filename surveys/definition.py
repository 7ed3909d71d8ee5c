"""A questionnaire as plain data, independent of the database.

The XLSForm reader produces a SurveyDefinition, the XLSForm writer consumes one, and
`surveys.selectors.survey_definition` reads one back from the database. Two definitions
compare equal when they describe the same questionnaire, which is what makes imports
idempotent and round trips checkable.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

Translations = dict[str, str]

# Characters no questionnaire text may hold: spreadsheets cannot store them and no
# respondent can see them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ChoiceDef:
    value: str
    label: Translations
    # The choices sheet's other columns, which a choice_filter reads (`region = ${region}`):
    # one mapping per row of the choice (a value listed twice, under different filters,
    # is one choice shown when any of its rows passes).
    filters: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class ChoiceListDef:
    name: str
    choices: tuple[ChoiceDef, ...]


@dataclass(frozen=True)
class GridRowDef:
    variable: str
    label: Translations
    row: int = field(default=0, compare=False)


# The measurement levels each question type may declare (the XLSForm's `measure` column).
MEASURES_BY_TYPE = {
    "single": ("nominal", "ordinal"),
    "grid": ("nominal", "ordinal"),
    "integer": ("nominal", "ordinal", "scale"),
    "decimal": ("scale",),
}


@dataclass(frozen=True)
class QuestionDef:
    variable: str
    type: str
    label: Translations
    hint: Translations = field(default_factory=dict)
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    constraint_message: Translations = field(default_factory=dict)
    screening: str = ""
    attention_check: str = ""
    appearance: str = ""
    choice_list: str = ""
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    min_choices: int | None = None
    max_choices: int | None = None
    measure: str = ""  # nominal, ordinal or scale; empty: inferred from the type
    rows: tuple[GridRowDef, ...] = ()
    # A calculate question's expression (XLSForm's `calculation` column).
    calculation: str = ""
    # Which choices a select shows: a condition on each choice's columns (`choice_filter`).
    choice_filter: str = ""
    # A repeat's questions, asked once per entry.
    children: tuple[QuestionDef, ...] = ()
    # Where the question came from, for error messages; not part of its identity.
    row: int = field(default=0, compare=False)


@dataclass(frozen=True)
class PageDef:
    name: str
    title: Translations
    questions: tuple[QuestionDef, ...]
    relevant: str = ""
    row: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SurveyDefinition:
    title: Translations
    languages: tuple[str, ...]
    default_language: str
    pages: tuple[PageDef, ...]
    choice_lists: tuple[ChoiceListDef, ...]
    version: str = ""
    sample_target: int = 0
    fieldwork_start: datetime.date | None = None
    fieldwork_end: datetime.date | None = None
    estimated_minutes: int | None = None
    consent: Translations = field(default_factory=dict)

    def questions(self) -> Iterator[QuestionDef]:
        for page in self.pages:
            yield from page.questions

    def variables(self) -> list[str]:
        """Return every answer variable in order: questions, and each grid's rows.

        A repeat is one variable (its entries); the questions inside it are not variables
        of the whole questionnaire.
        """
        names = []
        for question in self.questions():
            if question.rows:
                names.extend(row.variable for row in question.rows)
            elif question.type != "note":
                names.append(question.variable)
        return names


# Questions the server fills, never shown to a respondent: the XLSForm metadata types
# (when the interview started and ended, the day, the device, the user) and calculations.
METADATA_TYPES = ("start", "end", "today", "deviceid", "username")
SERVER_FILLED_TYPES = (*METADATA_TYPES, "calculate")
