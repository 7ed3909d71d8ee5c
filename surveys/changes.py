"""What changed between two versions of a questionnaire, as a person reviewing it asks.

An upload onto a draft shows this list: questions and choices added, removed or
reworded, and logic changed (skip logic, constraints, screening, required, type, the
choice list used, ranges). It compares two `SurveyDefinition`s, the same plain data that
decides whether an import changes anything at all (ADR 0003).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from surveys.definition import PageDef, QuestionDef, SurveyDefinition


class Kind(enum.StrEnum):
    QUESTION_ADDED = "question_added"
    QUESTION_REMOVED = "question_removed"
    QUESTION_REWORDED = "question_reworded"
    LOGIC_CHANGED = "logic_changed"
    CHOICE_ADDED = "choice_added"
    CHOICE_REMOVED = "choice_removed"
    CHOICE_REWORDED = "choice_reworded"
    PAGE_ADDED = "page_added"
    PAGE_REMOVED = "page_removed"
    PAGE_CHANGED = "page_changed"
    SETTINGS_CHANGED = "settings_changed"


@dataclass(frozen=True)
class Change:
    """One change: its kind, what it is about (a variable, `list/value`, a page, a
    setting) and, for a change of logic, the XLSForm columns that changed."""

    kind: Kind
    name: str
    columns: tuple[str, ...] = ()


# Question fields that are words, and fields that are logic (as their XLSForm columns).
WORDING = ("label", "hint", "constraint_message")
LOGIC = {
    "type": "type",
    "required": "required",
    "relevant": "relevant",
    "constraint": "constraint",
    "screening": "screening",
    "attention_check": "attention_check",
    "appearance": "appearance",
    "choice_list": "choice list",
    "min_value": "min_value",
    "max_value": "max_value",
    "min_choices": "min_choices",
    "max_choices": "max_choices",
    "measure": "measure",
}
SETTINGS = (
    "title",
    "languages",
    "default_language",
    "version",
    "sample_target",
    "fieldwork_start",
    "fieldwork_end",
    "estimated_minutes",
    "consent",
)


def definition_changes(old: SurveyDefinition, new: SurveyDefinition) -> list[Change]:
    """Return what changed from `old` to `new`, in the new questionnaire's order."""
    changes = [
        Change(Kind.SETTINGS_CHANGED, name)
        for name in SETTINGS
        if getattr(old, name) != getattr(new, name)
    ]
    changes += _page_changes(old.pages, new.pages)
    before = {q.variable: q for q in old.questions()}
    after = {q.variable: q for q in new.questions()}
    for variable, question in after.items():
        previous = before.get(variable)
        if previous is None:
            changes.append(Change(Kind.QUESTION_ADDED, variable))
        else:
            changes += _question_changes(previous, question)
    changes += [Change(Kind.QUESTION_REMOVED, v) for v in before if v not in after]
    changes += _choice_changes(old, new)
    return changes


def _page_changes(old: tuple[PageDef, ...], new: tuple[PageDef, ...]) -> list[Change]:
    before = {page.name: page for page in old}
    after = {page.name: page for page in new}
    changes = []
    for name, page in after.items():
        previous = before.get(name)
        if previous is None:
            changes.append(Change(Kind.PAGE_ADDED, name))
            continue
        columns = tuple(
            column
            for column, changed in (
                ("label", previous.title != page.title),
                ("relevant", previous.relevant != page.relevant),
            )
            if changed
        )
        if columns:
            changes.append(Change(Kind.PAGE_CHANGED, name, columns))
    changes += [Change(Kind.PAGE_REMOVED, name) for name in before if name not in after]
    return changes


def _question_changes(old: QuestionDef, new: QuestionDef) -> list[Change]:
    changes = []
    reworded = [name for name in WORDING if getattr(old, name) != getattr(new, name)]
    old_rows = {row.variable: row.label for row in old.rows}
    new_rows = {row.variable: row.label for row in new.rows}
    if any(old_rows[v] != label for v, label in new_rows.items() if v in old_rows):
        reworded.append("rows")
    if reworded:
        changes.append(Change(Kind.QUESTION_REWORDED, new.variable, tuple(reworded)))
    logic = [column for name, column in LOGIC.items() if getattr(old, name) != getattr(new, name)]
    if list(old_rows) != list(new_rows):
        logic.append("rows")
    if logic:
        changes.append(Change(Kind.LOGIC_CHANGED, new.variable, tuple(logic)))
    return changes


def _choice_changes(old: SurveyDefinition, new: SurveyDefinition) -> list[Change]:
    before = {(cl.name, c.value): c.label for cl in old.choice_lists for c in cl.choices}
    changes = []
    seen = set()
    for choice_list in new.choice_lists:
        for choice in choice_list.choices:
            key = (choice_list.name, choice.value)
            seen.add(key)
            name = f"{choice_list.name}/{choice.value}"
            if key not in before:
                changes.append(Change(Kind.CHOICE_ADDED, name))
            elif before[key] != choice.label:
                changes.append(Change(Kind.CHOICE_REWORDED, name))
    changes += [
        Change(Kind.CHOICE_REMOVED, f"{list_name}/{value}")
        for list_name, value in before
        if (list_name, value) not in seen
    ]
    return changes
