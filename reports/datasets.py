"""A survey's dataset: one row per respondent, one column per variable.

A single choice is one column; a multiple choice one 0/1 column per option; a grid one
column per row; then the submission's metadata. Rows stream from the database in chunks
(a server-side cursor on PostgreSQL), so memory stays flat whatever the number of rows.
Missing answers carry why they are missing: skipped (asked, left empty) or not asked
(hidden by skip logic, or never reached).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from respondents.flow import is_relevant
from respondents.models import Submission, Verdict
from surveys.expressions import Evaluator
from surveys.models import Question, Survey

SKIPPED, NOT_ASKED = "skipped", "not asked"
MISSING_CODES = {SKIPPED: -98, NOT_ASKED: -99}
CHUNK = 2000
METADATA = (
    "submission_id",
    "status",
    "verdict",
    "language",
    "cells",
    "started",
    "ended",
    "seconds",
    "weight",  # the raking weight; empty until the survey is weighted (reports.weighting)
)
IDENTIFIERS = ("panel_id", "ip_hash")


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

    @property
    def measure(self) -> str:
        if self.kind in ("integer", "decimal") or self.name == "weight":
            return "scale"
        if self.kind == "single" and all(isinstance(c, int) for c in self.codes.values()):
            values = list(self.codes)
            return "ordinal" if all(v.isdigit() for v in values) else "nominal"
        return "nominal"


def _name(text: str) -> str:
    """Return a variable name every package accepts: letters, digits and '_'."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return name if re.match(r"[A-Za-z]", name) else f"v_{name}"


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
                        _name(question.variable),
                        text(question.label),
                        "single",
                        question,
                        question.variable,
                        "",
                        labels,
                        codes,
                    )
                )
            else:
                for row in question.rows.all():
                    result.append(
                        Column(
                            _name(row.variable),
                            f"{text(question.label)} — {text(row.label)}",
                            "single",
                            question,
                            row.variable,
                            "",
                            labels,
                            codes,
                        )
                    )
        elif kind == Question.Type.MULTIPLE:
            for choice in question.choice_list.choices.all():
                result.append(
                    Column(
                        _name(f"{question.variable}_{choice.value}"),
                        f"{text(question.label)} — {text(choice.label)}",
                        "option",
                        question,
                        question.variable,
                        choice.value,
                    )
                )
        else:
            kind = "text" if kind == Question.Type.LONG_TEXT else kind
            result.append(
                Column(
                    _name(question.variable),
                    text(question.label),
                    kind,
                    question,
                    question.variable,
                )
            )
    for name in METADATA + (IDENTIFIERS if identifiers else ()):
        result.append(Column(name, name.replace("_", " "), "meta"))
    return result


def submissions(
    survey: Survey,
    *,
    valid_only: bool = True,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    cell: str = "",
):
    """Return the submissions a dataset holds: valid completes by default."""
    queryset = Submission.objects.filter(survey=survey)
    if valid_only:
        queryset = queryset.filter(status=Submission.Status.COMPLETED, verdict=Verdict.VALID)
    if since:
        queryset = queryset.filter(ended__date__gte=since)
    if until:
        queryset = queryset.filter(ended__date__lte=until)
    if cell:
        queryset = queryset.filter(slots__cell__name=cell)
    return queryset.order_by("pk")


def rows(survey: Survey, cols: list[Column], queryset, *, labels: bool = False) -> Iterator[list]:
    """Yield one list of values per submission, in `cols` order.

    Values are codes (or labels with `labels`); a missing answer is the marker SKIPPED or
    NOT_ASKED, which each format writes its own way.
    """
    for submission in (
        queryset.select_related("respondent")
        .prefetch_related("slots__cell")
        .iterator(chunk_size=CHUNK)
    ):
        answers = {**submission.respondent.known, **submission.answers}
        asked: dict[int, bool] = {}
        row = []
        for col in cols:
            if col.kind == "meta":
                row.append(_meta(submission, col.name))
                continue
            question = col.question
            if question.pk not in asked:
                shown = Evaluator(answers).holds(question.page.relevant)
                asked[question.pk] = (
                    shown
                    and is_relevant(question, answers, {})
                    and (
                        submission.status == Submission.Status.COMPLETED
                        or any(v in answers for v in _question_variables(question))
                    )
                )
            value = answers.get(col.variable)
            if not asked[question.pk]:
                row.append(NOT_ASKED)
            elif value in (None, "", []):
                row.append(SKIPPED)
            elif col.kind == "option":
                row.append(int(col.option in value))
            elif col.kind == "single":
                code = col.codes.get(str(value), value)
                row.append(col.value_labels.get(code, value) if labels else code)
            else:
                row.append(value)
        yield row


def _question_variables(question: Question) -> list[str]:
    if question.type == Question.Type.GRID:
        return [row.variable for row in question.rows.all()]
    return [question.variable]


def _meta(submission: Submission, name: str) -> Any:
    if name == "submission_id":
        return submission.pk
    if name == "cells":
        return ";".join(sorted(slot.cell.name for slot in submission.slots.all()))
    if name == "panel_id":
        return submission.respondent.panel_id
    if name in ("started", "ended"):
        value = getattr(submission, name)
        return value.isoformat(timespec="seconds") if value else ""
    if name == "weight":
        return submission.weight  # None (empty) when never weighted
    value = getattr(submission, name)
    return "" if value is None else value
