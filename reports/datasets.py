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
from surveys.models import Question, QuotaCell, Survey

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
# Metadata held as numbers (the rest are texts); seconds and weight are measured on a scale.
NUMERIC_METADATA = ("submission_id", "seconds", "weight")
SCALE_METADATA = ("seconds", "weight")


@dataclass
class Column:
    name: str
    label: str
    kind: str  # single, option, integer, decimal, text, date, meta
    question: Question | None = None
    variable: str = ""  # the answer it reads (a grid row's own variable)
    option: str = ""  # for a multiple choice's 0/1 column
    value_labels: dict[Any, str] = field(default_factory=dict)  # code -> label
    codes: dict[str, Any] = field(default_factory=dict)  # choice value -> code
    # The translated texts `label` joins, for every language: the question's, then the grid
    # row's or the option's; `tail` is that last one in the label's language.
    parts: tuple[dict, ...] = ()
    tail: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("single", "option", "integer", "decimal") or (
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
        if self.kind in ("integer", "decimal") or self.name in SCALE_METADATA:
            return "scale"
        return "nominal"


def _codes(question: Question) -> dict[str, Any]:
    """Return the code of each choice: the value itself when all values are integers."""
    values = [choice.value for choice in question.choice_list.choices.all()]
    if all(re.fullmatch(r"-?\d+", value) for value in values):
        return {value: int(value) for value in values}
    return {value: position + 1 for position, value in enumerate(values)}


def columns(
    survey: Survey, language: str | None = None, *, identifiers: bool = False
) -> list[Column]:
    """Return the dataset's columns, labelled in `language` (the survey's default if None)."""
    language = language or survey.default_language
    text = lambda value: survey.text(value, language)  # noqa: E731
    result: list[Column] = []
    questions = (
        Question.objects.filter(survey=survey)
        .exclude(type=Question.Type.NOTE)
        .select_related("choice_list", "page")
        .prefetch_related("rows", "choice_list__choices")
        .order_by("position")
    )
    for question in questions:
        kind = question.type
        if kind in (Question.Type.SINGLE, Question.Type.GRID):
            codes = _codes(question)
            labels = {codes[c.value]: text(c.label) for c in question.choice_list.choices.all()}
            if kind == Question.Type.SINGLE:
                result.append(
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
                    )
                )
            else:
                for row in question.rows.all():
                    result.append(
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
                        )
                    )
        elif kind == Question.Type.MULTIPLE:
            for choice in question.choice_list.choices.all():
                result.append(
                    Column(
                        f"{question.variable}_{choice.value}",
                        f"{text(question.label)} — {text(choice.label)}",
                        "option",
                        question,
                        question.variable,
                        choice.value,
                        parts=(question.label, choice.label),
                        tail=text(choice.label),
                    )
                )
        else:
            kind = "text" if kind == Question.Type.LONG_TEXT else kind
            result.append(
                Column(
                    question.variable,
                    text(question.label),
                    kind,
                    question,
                    question.variable,
                    parts=(question.label,),
                )
            )
    # Every column's final name, unique and apart from the metadata's (reports.variable_names).
    names = variable_names.unique_names(
        [col.name for col in result],
        METADATA + IDENTIFIERS,
        generated=[col.kind == "option" for col in result],
    )
    for col, name in zip(result, names, strict=True):
        col.name = name
    for name in METADATA + (IDENTIFIERS if identifiers else ()):
        result.append(Column(name, name.replace("_", " "), "meta"))
    return result


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
        if question.pk != previous:
            previous = question.pk
            key = (question.page.relevant.strip(), question.relevant.strip())
            index = -1 if key == ("", "") else _index(conditions, key)
            groups.append((index, tuple(_question_variables(question)), [], []))
        _, _, specs, missing = groups[-1]
        if col.kind == "option":
            # a multiple choice is one spec: its options, and what its columns hold if skipped
            if specs and specs[-1][0] is _OPTIONS and specs[-1][1] == col.variable:
                specs[-1][2].append(col.option)
                specs[-1][3].append(skipped)
            else:
                specs.append((_OPTIONS, col.variable, [col.option], [skipped]))
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
                append(text(value) if text is not None and value.__class__ is str else value)
                continue
            if (index >= 0 and not shown_by[index]) or (
                not complete and not any(v in answers for v in variables)
            ):
                extend(missing)
                continue
            for kind, variable, extra, shown in specs:
                value = answers.get(variable)
                if value is None or value == "" or value == []:
                    if kind is _OPTIONS:
                        extend(shown)
                    else:
                        append(skipped)
                elif kind is _OPTIONS:
                    extend([1 if option in value else 0 for option in extra])
                else:
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
_MOMENTS = ("started", "ended")
# Where a metadata column comes from, when it is not a field of the submission's own name.
META_FIELDS = {
    "submission_id": "pk",
    "panel_id": "respondent__panel_id",
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


def _question_variables(question: Question) -> list[str]:
    if question.type == Question.Type.GRID:
        return [row.variable for row in question.rows.all()]
    return [question.variable]
