"""The path through a questionnaire: which pages and questions a respondent sees.

Everything here is decided on the server from the answers stored so far; the browser may
show and hide questions ahead of time, but these functions are the truth. They read the
frozen questionnaire value (`surveys.questionnaire`), never ORM objects.

A `Walk` is the shown pages for one set of answers, computed once and asked everything a
request needs (where to resume, the next and previous page, progress); ADR 0016.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.expressions import Evaluator, parse
from surveys.questionnaire import Page, Question, Questionnaire


def evaluator(answers: Mapping[str, Any], known: Mapping[str, Any]) -> Evaluator:
    """Evaluate against the answers, falling back to what the panel already knew."""
    return Evaluator({**known, **answers})


def is_relevant(question: Question, answers: Mapping[str, Any], known: Mapping[str, Any]) -> bool:
    return evaluator(answers, known).holds(question.relevant)


def _page_is_shown(page: Page, current: Evaluator) -> bool:
    """A page shows when its own condition holds and it has a question to show (what the
    server fills, metadata and calculations, shows nothing)."""
    if not current.holds(page.relevant):
        return False
    return any(
        not question.server_filled
        and (question.depends_on_page or current.holds(question.relevant))
        for question in page.questions
    )


def discard_hidden(
    questionnaire: Questionnaire, answers: Mapping[str, Any], known: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the answers without those to questions that are no longer shown, and with
    every calculation worked out again from what is kept.

    Walks the questionnaire in order, so a question hidden by a changed answer also
    stops counting for the questions after it, and a calculation reads the answers (and
    calculations) before it. Metadata (start, today...) is kept as the server filled it;
    in each entry of a repeat, the answers its questions' own skip logic hides are dropped.
    """
    kept: dict[str, Any] = {
        question.variable: answers[question.variable]
        for question in questionnaire.metadata
        if question.variable in answers
    }
    for page in questionnaire.pages:
        if not evaluator(kept, known).holds(page.relevant):
            continue
        for question in page.questions:
            if question.is_metadata:
                continue
            if not question.answer_names or not is_relevant(question, kept, known):
                continue
            if question.calculation:
                value = calculated(question, kept, known)
                if value is not None:
                    kept[question.variable] = value
            elif question.children:
                given = answers.get(question.variable)
                if isinstance(given, list):  # no entries (nobody in the roster) is an answer
                    kept[question.variable] = _entries_kept(question, given, kept, known)
            elif question.choice_filter:
                value = _offered(question, answers.get(question.variable), kept, known)
                if value not in (None, []):
                    kept[question.variable] = value
            else:
                for name in question.answer_names:
                    if name in answers:
                        kept[name] = answers[name]
    return kept


def _offered(
    question: Question, value: Any, answers: Mapping[str, Any], known: Mapping[str, Any]
) -> Any:
    """Return a filtered select's answer without the choices no longer offered (a region
    changed on an earlier page takes its districts away)."""
    if value is None:
        return None
    current = evaluator(answers, known)
    tree = parse(question.choice_filter)
    rows = {choice.value: choice.filters for choice in question.choices}

    def offered(item: Any) -> bool:
        return current.passes(tree, rows.get(str(item), ()), str(item))

    if isinstance(value, list):
        return [item for item in value if offered(item)]
    return value if offered(value) else None


def calculated(question: Question, answers: Mapping[str, Any], known: Mapping[str, Any]) -> Any:
    """Return a calculation's value as stored: a finite number, or a text; None if empty.

    As in an XForm, a condition's value is the text "true" or "false".
    """
    value = evaluator(answers, known).value(parse(question.calculation))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, int):
        return value
    if isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        return None  # a repeat's entries are no one value: count() them
    return _text(value) or None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    return str(value)


def entry_context(outer: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """The answers a question inside a repeat's entry reads: the entry's, then the rest."""
    return {**outer, **entry}


def _entries_kept(
    repeat: Question, entries: Any, outer: Mapping[str, Any], known: Mapping[str, Any]
) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        return []
    kept_entries = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kept: dict[str, Any] = {}
        for child in repeat.children:
            if (
                child.answer_names
                and child.variable in entry
                and evaluator(entry_context(outer, kept), known).holds(child.relevant)
            ):
                kept[child.variable] = entry[child.variable]
        if kept:
            kept_entries.append(kept)
    return kept_entries


def page_is_answered(page: Page, current: Evaluator, answers: Mapping, known: Mapping) -> bool:
    """Return whether every required question the page now shows has its answer.

    A page answered once can lose that: an answer changed on an earlier page may bring
    in a required question on it that the respondent never saw.
    """
    for question in page.questions:
        if question.required and current.holds(question.relevant):
            for name in question.answer_names:
                if answers.get(name, known.get(name)) in (None, "", []):
                    return False
    return True


@dataclass(frozen=True)
class Walk:
    """The pages a respondent with these answers is shown, in order: one walk per request.

    Built once from the answers stored (and what the panel knew); everything a request
    asks about the path (resume here, go on to there, how far along) reads it.
    """

    questionnaire: Questionnaire
    answers: Mapping[str, Any]
    known: Mapping[str, Any]
    shown: tuple[Page, ...]
    _current: Evaluator = field(repr=False, compare=False)
    _names: tuple[str, ...] = field(repr=False, compare=False)

    @classmethod
    def of(
        cls, questionnaire: Questionnaire, answers: Mapping[str, Any], known: Mapping[str, Any]
    ) -> Walk:
        current = evaluator(answers, known)
        shown = tuple(page for page in questionnaire.pages if _page_is_shown(page, current))
        return cls(questionnaire, answers, known, shown, current, tuple(p.name for p in shown))

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def resume(self, pages_done: Sequence[str]) -> Page | None:
        """Return the first shown page not yet (fully) answered, or None when all are."""
        for page in self.shown:
            if page.name not in pages_done or not page_is_answered(
                page, self._current, self.answers, self.known
            ):
                return page
        return None

    def may_show(self, page: Page | None, pages_done: Sequence[str]) -> bool:
        """Return whether the respondent may be on `page`: shown, and not past the first
        page still waiting for answers."""
        if page is None or page.name not in self._names:
            return False
        waiting = self.resume(pages_done)
        return waiting is None or self._names.index(page.name) <= self._names.index(waiting.name)

    def neighbour(self, page: Page, step: int) -> Page | None:
        """Return the shown page `step` places after (or before) `page`, if any."""
        if page.name not in self._names:
            return None
        index = self._names.index(page.name) + step
        return self.shown[index] if 0 <= index < len(self.shown) else None

    def progress(self, page: Page) -> int:
        """Return how far through the shown pages `page` is, as a percentage."""
        if page.name not in self._names:
            return 0
        return round(100 * self._names.index(page.name) / len(self._names))


@dataclass(frozen=True)
class Stored:
    """What a sitting holds once a page of answers is stored: its answers, the pages done
    and the walk of those answers."""

    answers: dict[str, Any]
    pages_done: list[str]
    walk: Walk


def page_stored(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    pages_done: Sequence[str],
    page_name: str,
    page_answers: Mapping[str, Any],
    known: Mapping[str, Any],
) -> Stored:
    """Return the answers and pages done after `page_answers` replace page `page_name`'s.

    The page's answers replace what it held before (an answer cleared is gone); answers
    to questions the new answers hide are discarded, and a page that no longer shows has
    lost its answers, so it is no longer done. Whatever keeps the answers (a submission
    row, a preview's session) stores this.
    """
    page = questionnaire.page(page_name)
    on_page = set(page.answer_names) if page else set()
    kept = {name: value for name, value in answers.items() if name not in on_page}
    answers = discard_hidden(questionnaire, {**kept, **page_answers}, known)
    walk = Walk.of(questionnaire, answers, known)
    done = [name for name in pages_done if name in walk.names]
    if page_name not in done:
        done.append(page_name)
    return Stored(answers, done, walk)
