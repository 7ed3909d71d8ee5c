"""A survey's dataset: one row per respondent, one column per variable.

A single choice is one column; a multiple choice one 0/1 column per option; a grid one
column per row; then the submission's metadata. Rows stream from the database in chunks
(a server-side cursor on PostgreSQL), so memory stays flat whatever the number of rows.
Missing answers carry why they are missing: skipped (asked, left empty) or not asked
(hidden by skip logic, or never reached).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reports import variable_names
from respondents.models import QuotaSlot, Submission
from surveys.expressions import Evaluator, parse, references
from surveys.models import QuotaCell, Survey
from surveys.questionnaire import Question, Type, questionnaire_of

SKIPPED, NOT_ASKED = "skipped", "not asked"
MISSING_CODES = {SKIPPED: -98, NOT_ASKED: -99}
CHUNK = 2000
METADATA = (
    "submission_id",
    "status",
    "verdict",
    "language",
    "mode",  # web, capi (an interviewer's tablet) or api
    "interviewer",  # the interviewer's user name, empty for a self-completed one
    "cells",
    "started",
    "ended",
    "seconds",
    "weight",  # the raking weight; empty until the survey is weighted (reports.weighting)
)
IDENTIFIERS = ("panel_id", "ip_hash")
TEST = ("test",)
# Metadata held as numbers (the rest are texts); seconds and weight are measured on a scale.
# `entry` is the position of an entry in its repeat, in a repeat's own file.
NUMERIC_METADATA = ("submission_id", "seconds", "weight", "test", "entry")
# A repeat's own file (long format): one row per entry, keyed by the submission.
ENTRY_KEYS = ("submission_id", "entry")
SCALE_METADATA = ("seconds", "weight")


@dataclass
class Column:
    name: str
    label: str
    # single, option, integer, decimal, text, date, time, datetime, calculate, repeat (the
    # number of its entries), meta
    kind: str
    question: Question | None = None  # from the survey's questionnaire value
    variable: str = ""  # the answer it reads (a grid row's own variable)
    option: str = ""  # for a multiple choice's 0/1 column
    value_labels: dict[Any, str] = field(default_factory=dict)  # code -> label
    codes: dict[str, Any] = field(default_factory=dict)  # choice value -> code
    # The translated texts `label` joins, for every language: the question's, then the grid
    # row's or the option's; `tail` is that last one in the label's language.
    parts: tuple[dict, ...] = ()
    tail: str = ""
    # The condition of the page the question is on (a question shows only when it holds).
    page_relevant: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("single", "option", "integer", "decimal", "repeat") or (
            self.kind == "meta" and self.name in NUMERIC_METADATA
        )

    @property
    def measure(self) -> str:
        """Return the level the questionnaire declares, or the one the type implies.

        Choices are nominal unless declared ordinal (a yes/no/hard-to-say item is not a
        scale); numbers, interview seconds and the weight are scale; a multiple choice's
        0/1 columns and texts are nominal.
        """
        declared = self.question.measure if self.question is not None else ""
        if declared and self.kind in ("single", "integer", "decimal"):
            return declared
        if self.kind in ("integer", "decimal", "repeat") or self.name in SCALE_METADATA:
            return "scale"
        return "nominal"


def _codes(question: Question) -> dict[str, Any]:
    """Return the code of each choice: the value itself when all values are integers."""
    values = question.choice_values
    if all(re.fullmatch(r"-?\d+", value) for value in values):
        return {value: int(value) for value in values}
    return {value: position + 1 for position, value in enumerate(values)}


def columns(
    survey: Survey, language: str | None = None, *, identifiers: bool = False, test: bool = False
) -> list[Column]:
    """Return the dataset's columns, labelled in `language` (the survey's default if None).

    `test` adds the column `test` (1 for a test link's submission), for an export that
    includes them.
    """
    extra = (IDENTIFIERS if identifiers else ()) + (TEST if test else ())
    questionnaire = questionnaire_of(survey)
    language = language or questionnaire.default_language
    text = lambda value: questionnaire.text(value, language)  # noqa: E731
    result: list[Column] = []
    for page in questionnaire.pages:
        for question in page.questions:
            if question.answer_names:
                result.extend(_question_columns(question, page.relevant, text))
    # Every column's final name, unique and apart from the metadata's (reports.variable_names).
    names = variable_names.unique_names(
        [col.name for col in result],
        METADATA + IDENTIFIERS + (TEST if test else ()),
        generated=[col.kind == "option" for col in result],
    )
    for col, name in zip(result, names, strict=True):
        col.name = name
    for name in METADATA + extra:
        result.append(Column(name, name.replace("_", " "), "meta"))
    return result


def _question_columns(
    question: Question, page_relevant: str, text: Callable[[dict], str]
) -> list[Column]:
    """Return the columns of one question: one, one per grid row, or one per option."""
    kind = question.type
    if kind in (Type.SINGLE, Type.GRID):
        codes = _codes(question)
        labels = {codes[c.value]: text(c.label) for c in question.choices}
        if kind == Type.SINGLE:
            return [
                Column(
                    question.variable,
                    text(question.label),
                    "single",
                    question,
                    question.variable,
                    "",
                    labels,
                    codes,
                    parts=(question.label,),
                    page_relevant=page_relevant,
                )
            ]
        return [
            Column(
                row.variable,
                f"{text(question.label)} — {text(row.label)}",
                "single",
                question,
                row.variable,
                "",
                labels,
                codes,
                parts=(question.label, row.label),
                tail=text(row.label),
                page_relevant=page_relevant,
            )
            for row in question.rows
        ]
    if kind == Type.MULTIPLE:
        return [
            Column(
                f"{question.variable}_{choice.value}",
                f"{text(question.label)} — {text(choice.label)}",
                "option",
                question,
                question.variable,
                choice.value,
                parts=(question.label, choice.label),
                tail=text(choice.label),
                page_relevant=page_relevant,
            )
            for choice in question.choices
        ]
    return [
        Column(
            question.variable,
            text(question.label) or question.variable,
            KINDS.get(kind, kind),
            question,
            question.variable,
            parts=(question.label,),
            page_relevant=page_relevant,
        )
    ]


# The column kind of the question types that are not their own kind.
KINDS = {
    Type.LONG_TEXT: "text",
    Type.START: "datetime",
    Type.END: "datetime",
    Type.TODAY: "date",
    Type.DEVICEID: "text",
    Type.USERNAME: "text",
}


def repeat_columns(
    survey: Survey, language: str | None = None
) -> list[tuple[Question, list[Column]]]:
    """Return each repeat of the questionnaire with the columns of its own file: the
    submission and the entry's position, then one column per answer (as `columns`)."""
    questionnaire = questionnaire_of(survey)
    language = language or questionnaire.default_language
    text = lambda value: questionnaire.text(value, language)  # noqa: E731
    tables = []
    for question in questionnaire.questions():
        if not question.children:
            continue
        result = [
            col
            for child in question.children
            if child.answer_names
            for col in _question_columns(child, "", text)
        ]
        names = variable_names.unique_names(
            [col.name for col in result],
            ENTRY_KEYS,
            generated=[col.kind == "option" for col in result],
        )
        for col, name in zip(result, names, strict=True):
            col.name = name
        keys = [Column(name, name.replace("_", " "), "meta") for name in ENTRY_KEYS]
        tables.append((question, keys + result))
    return tables


def entry_rows(
    repeat: Question,
    cols: list[Column],
    queryset,
    *,
    labels: bool = False,
    skipped: Any = SKIPPED,
    not_asked: Any = NOT_ASKED,
    text: Callable[[str], Any] | None = None,
) -> Iterator[list]:
    """Yield one list of values per entry of `repeat`, submission by submission, in `cols`
    order (a repeat's file in long format, as Kobo and ODK Central export them).

    Values and missing answers are written as `rows` writes them: an answer the entry's
    skip logic hid is `not_asked`, one left empty `skipped`.
    """
    for pk, known, answers in (
        queryset.order_by("pk")
        .values_list("pk", "respondent__known", "answers")
        .iterator(chunk_size=CHUNK)
    ):
        entries = answers.get(repeat.variable)
        if not isinstance(entries, list):
            continue
        outer = {**(known or {}), **answers}
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                continue
            evaluator = Evaluator({**outer, **entry})
            row: list = []
            for col in cols:
                if col.kind == "meta":
                    row.append(pk if col.name == "submission_id" else number)
                    continue
                child = col.question
                value = entry.get(col.variable)
                if not evaluator.holds(child.relevant):
                    row.append(not_asked)
                elif value is None or value == "" or value == []:
                    row.append(skipped)
                elif col.kind == "option":
                    row.append(1 if col.option in value else 0)
                elif col.kind == "single":
                    code = col.codes.get(str(value), value)
                    out = col.value_labels.get(code, value) if labels else code
                    row.append(text(out) if text is not None and isinstance(out, str) else out)
                else:
                    row.append(
                        text(value) if text is not None and isinstance(value, str) else value
                    )
            yield row


def rows(
    survey: Survey,
    cols: list[Column],
    queryset,
    *,
    labels: bool = False,
    skipped: Any = SKIPPED,
    not_asked: Any = NOT_ASKED,
    text: Callable[[str], Any] | None = None,
) -> Iterator[list]:
    """Yield one list of values per submission, in `cols` order.

    Values are codes (or labels with `labels`); a missing answer is `skipped` or `not_asked`
    (by default the markers SKIPPED and NOT_ASKED, which each format writes its own way);
    `text`, if given, is applied to every text value (to neutralise formulas).

    Built for a million rows: submissions are read as plain tuples (no model instances)
    from a server-side cursor, CHUNK at a time, their quota cells from a second cursor in
    the same order; whether a question was asked is worked out once per distinct set of
    the answers its conditions read.
    """
    fields = ["pk", "status", "respondent__known", "answers"]
    conditions: dict[tuple[str, str], _Condition] = {}
    groups: list[tuple] = []  # one per question, in column order, or per metadata column
    previous = None
    for col in cols:
        if col.kind == "meta":
            position = None
            if col.name != "cells":
                position = len(fields)
                fields.append(META_FIELDS.get(col.name, col.name))
            groups.append((_META, col.name, position, None))
            previous = None
            continue
        question = col.question
        if question.variable != previous:
            previous = question.variable
            key = (col.page_relevant.strip(), question.relevant.strip())
            index = -1 if key == ("", "") else _index(conditions, key)
            groups.append((index, question.answer_names, [], []))
        _, _, specs, missing = groups[-1]
        if col.kind == "option":
            # a multiple choice is one spec: its options, and what its columns hold if skipped
            if specs and specs[-1][0] is _OPTIONS and specs[-1][1] == col.variable:
                specs[-1][2].append(col.option)
                specs[-1][3].append(skipped)
            else:
                specs.append((_OPTIONS, col.variable, [col.option], [skipped]))
        elif col.kind == "repeat":
            specs.append((_COUNT, col.variable, None, None))
        elif col.kind == "calculate":
            specs.append((_STRING, col.variable, None, None))
        elif col.kind == "single":
            shown = col.value_labels if labels else None
            # what each known choice value becomes, ready to write; others take the long way
            ready = {}
            for value, code in col.codes.items():
                out = code if shown is None else shown.get(code, value)
                ready[value] = text(out) if text is not None and isinstance(out, str) else out
            specs.append((_SINGLE, col.variable, (col.codes, ready), shown))
        else:
            specs.append((_VALUE, col.variable, None, None))
        missing.append(not_asked)
    condition_list = list(conditions.values())
    with_cells = any(col.kind == "meta" and col.name == "cells" for col in cols)
    queryset = queryset.order_by("pk")
    cells = _Cells(survey, queryset) if with_cells else None
    completed = Submission.Status.COMPLETED
    for record in queryset.values_list(*fields).iterator(chunk_size=CHUNK):
        known, answers = record[2], record[3]
        if known:
            answers = {**known, **answers}
        complete = record[1] == completed
        shown_by = [condition(answers) for condition in condition_list]
        row: list = []
        append, extend = row.append, row.extend
        for index, variables, specs, missing in groups:
            if index is _META:
                if specs is None:
                    value = cells.of(record[0])
                else:
                    value = record[specs]
                    if variables in _MOMENTS:
                        value = value.isoformat(timespec="seconds") if value else ""
                    elif value is None and variables != "weight":  # weight: empty if None
                        value = ""
                    elif value.__class__ is bool:  # test: 1 or 0
                        value = int(value)
                append(text(value) if text is not None and value.__class__ is str else value)
                continue
            if (index >= 0 and not shown_by[index]) or (
                not complete and not any(v in answers for v in variables)
            ):
                extend(missing)
                continue
            for kind, variable, extra, shown in specs:
                value = answers.get(variable)
                if kind is _COUNT:  # a repeat: how many entries (none is 0, not missing)
                    append(len(value) if isinstance(value, list) else skipped)
                    continue
                if value is None or value == "" or value == []:
                    if kind is _OPTIONS:
                        extend(shown)
                    else:
                        append(skipped)
                elif kind is _OPTIONS:
                    extend([1 if option in value else 0 for option in extra])
                else:
                    if kind is _STRING and value.__class__ is not str:
                        value = str(value)  # a calculation's number, in a text column
                    if kind is _SINGLE:
                        codes, ready = extra
                        out = ready.get(value) if value.__class__ is str else None
                        if out is not None:
                            append(out)
                            continue
                        code = codes.get(str(value), value)
                        value = code if shown is None else shown.get(code, value)
                    if text is not None and value.__class__ is str:
                        value = text(value)
                    append(value)
        yield row


_META, _OPTIONS, _SINGLE, _VALUE = "meta", "options", "single", "value"
_COUNT, _STRING = "count", "string"
_MOMENTS = ("started", "ended")
# Where a metadata column comes from, when it is not a field of the submission's own name.
META_FIELDS = {
    "submission_id": "pk",
    "panel_id": "respondent__panel_id",
    "test": "is_test",
    "interviewer": "interviewer__username",
}
MEMO_LIMIT = 10_000


def _index(conditions: dict, key: tuple[str, str]) -> int:
    if key not in conditions:
        conditions[key] = _Condition(*key)
    return list(conditions).index(key)


class _Condition:
    """A question's page condition and its own, both of which must hold for it to be shown.

    Evaluated once per distinct tuple of the answers it reads (a few dozen in practice),
    remembered up to MEMO_LIMIT tuples; a condition that calls today() every time.
    """

    def __init__(self, page_condition: str, condition: str) -> None:
        self.texts = [text for text in (page_condition, condition) if text]
        self.reads = sorted(set().union(*(references(parse(text)) for text in self.texts)))
        self.memo: dict[tuple, bool] | None = (
            None if any("today" in text for text in self.texts) else {}
        )

    def __call__(self, answers: dict) -> bool:
        if self.memo is None:
            return self._holds(answers)
        key = tuple([_hashable(answers.get(name)) for name in self.reads])
        shown = self.memo.get(key)
        if shown is None:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            shown = self.memo[key] = self._holds(answers)
        return shown

    def _holds(self, answers: dict) -> bool:
        evaluator = Evaluator(answers)
        return all(evaluator.holds(text) for text in self.texts)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class _Cells:
    """The quota cells of each submission, read alongside the submissions in one ordered
    query (a merge on the submission id), so that memory stays flat."""

    def __init__(self, survey: Survey, queryset) -> None:
        self.names = dict(QuotaCell.objects.filter(survey=survey).values_list("pk", "name"))
        self.slots = (
            QuotaSlot.objects.filter(submission__in=queryset.values("pk"))
            .order_by("submission_id", "pk")
            .values_list("submission_id", "cell_id")
            .iterator(chunk_size=CHUNK)
        )
        self.next = next(self.slots, None)

    def of(self, submission_id: int) -> str:
        """Return the cells of `submission_id`, sorted and joined by ';' (ids ascending)."""
        found = []
        while self.next is not None and self.next[0] <= submission_id:
            if self.next[0] == submission_id:
                found.append(self.names[self.next[1]])
            self.next = next(self.slots, None)
        return ";".join(sorted(found))
