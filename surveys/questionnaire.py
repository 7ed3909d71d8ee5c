"""A survey's questionnaire as one frozen value: what every reader of the questions uses.

The respondent's pages, the API ingestion, the simulation, validation and the exports all
walk the same pages, questions, choices and grid rows. They read them from a
`Questionnaire`, made once from `surveys.definition` (`SurveyDefinition`) per questionnaire
version, kept per process and in the shared cache under one key (`cache_key`), and never
changed: no ORM object is shared between requests, so nothing a request does to one can
leak into another.

What is derived from the definition is derived here, once: the answer variables each
question fills (its own, or each grid row's), the variables each condition reads, and
whether a question's skip logic reads an answer given on its own page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from fieldwork.memo import BoundedMemo
from surveys.definition import (
    METADATA_TYPES,
    SERVER_FILLED_TYPES,
    PageDef,
    QuestionDef,
    SurveyDefinition,
    Translations,
)
from surveys.expressions import parse, references
from surveys.models import Question as QuestionModel
from surveys.selectors import survey_definition

if TYPE_CHECKING:
    from surveys.models import Survey

# The question types (`Type.GRID == "grid"`): a question's `type` is one of these values.
Type = QuestionModel.Type

# Unpickled questionnaires of the survey versions this process served lately. Unpickling
# one from the shared cache took ~13% of a respondent's page; a version's questionnaire
# never changes, so a copy kept here is never stale (ADR 0012). A handful of surveys are
# in the field at once; each copy is some tens of kilobytes.
_QUESTIONNAIRES = BoundedMemo("questionnaires", maxsize=16)
CACHE_SECONDS = 3600


def version_key(survey: Survey) -> str | None:
    """Return the key of the survey's questionnaire as it stands, None for a draft.

    A draft's questions change through the admin without its version moving, so nothing
    derived from a draft may be kept. A live or closed survey's questionnaire changes only
    through the services that move `questionnaire_version` (`surveys.services`).
    """
    if survey.status == survey.Status.DRAFT:
        return None
    return _version(survey.pk, survey.questionnaire_version)


def cache_key(survey: Survey, kind: str) -> str | None:
    """Return the key under which `kind` derived from the questionnaire is kept, or None.

    The one place such keys are spelled: every memo and cache entry derived from a
    survey's questionnaire (the questionnaire itself, rendered questions, validation's
    checks, webhook subscriptions) takes its key from here, so a new version reaches all.
    """
    version = version_key(survey)
    return None if version is None else f"{kind}:{version}"


def cache_key_of(kind: str, survey_id: int, questionnaire_version: int) -> str:
    """`cache_key` for a live or closed survey known by its id and version only."""
    return f"{kind}:{_version(survey_id, questionnaire_version)}"


def _version(survey_id: int, questionnaire_version: int) -> str:
    return f"{survey_id}:v{questionnaire_version}"


@dataclass(frozen=True)
class Choice:
    value: str
    label: Translations
    # The choices sheet's other columns, one mapping per row (see ChoiceDef.filters).
    filters: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class GridRow:
    variable: str
    label: Translations


@dataclass(frozen=True)
class Question:
    """One question as respondents meet it; `type` is one of `surveys.models.Question.Type`."""

    variable: str
    type: str
    label: Translations
    hint: Translations
    required: bool
    relevant: str
    constraint: str
    constraint_message: Translations
    screening: str
    attention_check: str
    appearance: str
    choice_list: str
    choices: tuple[Choice, ...]
    rows: tuple[GridRow, ...]
    min_value: Decimal | None
    max_value: Decimal | None
    min_choices: int | None
    max_choices: int | None
    # The answer variables the question fills: its own, each grid row's, none for a note.
    answer_names: tuple[str, ...]
    # The variables its skip logic reads.
    reads: frozenset[str]
    # Whether its skip logic reads an answer given on its own page (the browser shows and
    # hides it as the respondent answers, so its page shows even when it is hidden now).
    depends_on_page: bool = False
    # The measurement level the form declares (nominal, ordinal, scale); empty: by type.
    measure: str = ""
    # A calculate question's expression; a select's filter on its choices' columns.
    calculation: str = ""
    choice_filter: str = ""
    # A repeat's questions, asked once per entry; its answer is a list of entries, each
    # a mapping of these questions' variables to their answers.
    children: tuple[Question, ...] = ()
    # Whether its texts show answers (`${name}`): then they differ from one respondent to
    # the next, and its rendering is never kept.
    pipes: bool = False

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    @property
    def server_filled(self) -> bool:
        """Whether the server fills the answer (metadata, a calculation): never shown."""
        return self.type in SERVER_FILLED_TYPES

    @property
    def is_metadata(self) -> bool:
        return self.type in METADATA_TYPES

    def child(self, variable: str) -> Question | None:
        return next((child for child in self.children if child.variable == variable), None)


@dataclass(frozen=True)
class Page:
    name: str
    title: Translations
    relevant: str
    questions: tuple[Question, ...]
    answer_names: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Questionnaire:
    """A survey version's pages in order; read it, it cannot change."""

    survey_id: int | None
    version: str | None
    title: Translations
    languages: tuple[str, ...]
    default_language: str
    pages: tuple[Page, ...]
    # The metadata questions (start, end, today, deviceid, username), wherever they are.
    metadata: tuple[Question, ...] = ()
    _by_name: dict[str, Page] = field(default_factory=dict, repr=False, compare=False)
    _by_answer: dict[str, tuple[int, Question]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_definition(
        cls, definition: SurveyDefinition, *, survey_id: int | None = None, version=None
    ) -> Questionnaire:
        lists = {
            choice_list.name: tuple(
                Choice(c.value, dict(c.label), tuple(dict(f) for f in c.filters))
                for c in choice_list.choices
            )
            for choice_list in definition.choice_lists
        }
        pages = tuple(_page(page, lists) for page in definition.pages)
        return cls(
            survey_id=survey_id,
            version=version,
            title=dict(definition.title),
            languages=tuple(definition.languages),
            default_language=definition.default_language,
            pages=pages,
            **_look_ups(pages),
        )

    def starting_at(self, name: str) -> Questionnaire:
        """Return the questionnaire from page `name` on, as if the pages before it were not
        there (a preview that starts part-way); itself when `name` is no later page."""
        names = [page.name for page in self.pages]
        if name not in names or names.index(name) == 0:
            return self
        pages = self.pages[names.index(name) :]
        return dataclasses.replace(self, pages=pages, **_look_ups(pages))

    def page(self, name: str) -> Page | None:
        return self._by_name.get(name)

    def questions(self) -> Iterator[Question]:
        for page in self.pages:
            yield from page.questions

    def question_of(self, name: str) -> Question | None:
        """Return the question that fills answer variable `name`, if any."""
        found = self._by_answer.get(name)
        return None if found is None else found[1]

    def page_index_of(self, name: str) -> int | None:
        """Return the position of the page on which answer variable `name` is asked."""
        found = self._by_answer.get(name)
        return None if found is None else found[0]

    def answer_names(self) -> list[str]:
        """Every answer variable in order: questions, and each grid's rows."""
        return list(self._by_answer)

    def text(self, value: Translations, language: str | None = None) -> str:
        """Return `value` in `language`, falling back to the default language."""
        return value.get(language or self.default_language) or value.get(self.default_language, "")


def _look_ups(pages: tuple[Page, ...]) -> dict:
    return {
        "metadata": tuple(
            question for page in pages for question in page.questions if question.is_metadata
        ),
        "_by_name": {page.name: page for page in pages},
        "_by_answer": {
            name: (index, question)
            for index, page in enumerate(pages)
            for question in page.questions
            for name in question.answer_names
        },
    }


def _reads(expression: str) -> frozenset[str]:
    return frozenset(references(parse(expression))) if expression else frozenset()


def _page(page: PageDef, lists: dict[str, tuple[Choice, ...]]) -> Page:
    questions = [_question(question, lists) for question in page.questions]
    on_page = {
        name
        for question in questions
        if not question.server_filled
        for name in question.answer_names
    }
    questions = [
        question
        if not question.reads & on_page
        else dataclasses.replace(question, depends_on_page=True)
        for question in questions
    ]
    return Page(
        name=page.name,
        title=dict(page.title),
        relevant=page.relevant,
        questions=tuple(questions),
        # What the respondent answers on the page (not what the server fills).
        answer_names=tuple(
            name
            for question in questions
            if not question.server_filled
            for name in question.answer_names
        ),
    )


def _question(question: QuestionDef, lists: dict[str, tuple[Choice, ...]]) -> Question:
    rows = tuple(GridRow(row.variable, dict(row.label)) for row in question.rows)
    children = tuple(_question(child, lists) for child in question.children)
    if question.type == Type.GRID:
        names = tuple(row.variable for row in rows)
    elif question.type == Type.NOTE:
        names = ()
    else:
        names = (question.variable,)
    texts = [question.label, question.hint, question.constraint_message]
    texts += [row.label for row in rows] + [
        choice.label for choice in lists.get(question.choice_list, ())
    ]
    pipes = any("${" in text for value in texts for text in value.values()) or any(
        child.pipes for child in children
    )
    return Question(
        pipes=pipes,
        variable=question.variable,
        type=question.type,
        label=dict(question.label),
        hint=dict(question.hint),
        required=question.required,
        relevant=question.relevant,
        constraint=question.constraint,
        constraint_message=dict(question.constraint_message),
        screening=question.screening,
        attention_check=question.attention_check,
        appearance=question.appearance,
        choice_list=question.choice_list,
        choices=lists.get(question.choice_list, ()),
        children=children,
        calculation=question.calculation,
        choice_filter=question.choice_filter,
        rows=rows,
        min_value=question.min_value,
        max_value=question.max_value,
        min_choices=question.min_choices,
        max_choices=question.max_choices,
        answer_names=names,
        reads=_reads(question.relevant) | _reads(question.choice_filter),
        measure=question.measure,
    )


def questionnaire_of(survey: Survey) -> Questionnaire:
    """Return the survey's questionnaire: kept per version, read afresh for a draft.

    A live or closed survey's questionnaire is read from the database once per version
    (a fixed number of queries), then shared through the cache by every process, each
    of which keeps the unpickled value of the versions it served lately.
    """

    def load() -> Questionnaire:
        return Questionnaire.from_definition(
            survey_definition(survey), survey_id=survey.pk, version=version_key(survey)
        )

    key = cache_key(survey, "questionnaire")
    if key is None:
        return load()
    return _QUESTIONNAIRES.through_cache(key, load, timeout=CACHE_SECONDS)
