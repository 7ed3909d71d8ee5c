"""Quality control: the rules that decide whether a completed questionnaire is valid.

Each rule is a small pure function of a `Case` (the submission's answers and what is
known around it), returning whether it passed and why not. Each has a version, recorded
with its result, so a change of rule can be told apart in the data and re-run with
`manage.py revalidate`. What runs them and moves the quota counts is in
`respondents.validation`; the Celery task is in `respondents.tasks`.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.expressions import Evaluator

# Below this many earlier interviews the median is too noisy to call anyone a speeder.
SPEEDER_MIN_SAMPLE = 20
STRAIGHTLINE_MIN_ROWS = 5


@dataclass(frozen=True)
class Grid:
    variable: str
    rows: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """Everything the rules may look at, gathered by the service before they run."""

    answers: Mapping[str, Any]
    seconds: float  # time spent answering, summed over pages
    median_seconds: float = 0.0  # median interview length of recent completes
    sample_size: int = 0  # how many interviews that median is taken from
    speeder_fraction: float = 0.4
    grids: Sequence[Grid] = ()
    attention_checks: Mapping[str, str] = field(default_factory=dict)  # variable -> condition
    screening: Mapping[str, str] = field(default_factory=dict)  # variable -> condition
    open_answers: Sequence[str] = ()  # variables of text questions
    duplicate_of: int | None = None  # an earlier submission from the same person


@dataclass(frozen=True)
class Result:
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class Rule:
    name: str
    version: int
    check: Callable[[Case], Result]


def speeder(case: Case) -> Result:
    """Fail an interview shorter than a fraction of the median of recent interviews."""
    if case.sample_size < SPEEDER_MIN_SAMPLE:
        return Result(True, f"fewer than {SPEEDER_MIN_SAMPLE} interviews to compare with")
    median = case.median_seconds
    limit = median * case.speeder_fraction
    if case.seconds < limit:
        return Result(
            False,
            f"{case.seconds:.0f} s, under {case.speeder_fraction:.0%} of the median {median:.0f} s",
        )
    return Result(True)


def straightliner(case: Case) -> Result:
    """Fail the same answer down every row of a grid of five or more rows."""
    for grid in case.grids:
        values = [case.answers[row] for row in grid.rows if row in case.answers]
        answered_all = len(values) == len(grid.rows) >= STRAIGHTLINE_MIN_ROWS
        if answered_all and len(set(values)) == 1:
            return Result(False, f"'{values[0]}' in all {len(values)} rows of {grid.variable}")
    return Result(True)


def attention(case: Case) -> Result:
    """Fail a wrong answer to a question marked as an attention check."""
    for variable, condition in case.attention_checks.items():
        if variable not in case.answers:
            continue  # not asked (skipped by logic): nothing to hold against anyone
        answer = case.answers[variable]
        if not Evaluator(case.answers).holds(condition, current=answer):
            return Result(False, f"{variable} = {answer!r} fails {condition}")
    return Result(True)


def duplicate(case: Case) -> Result:
    """Fail a second questionnaire from the same person (found by the service)."""
    if case.duplicate_of is not None:
        return Result(False, f"same person as submission {case.duplicate_of}")
    return Result(True)


def screening(case: Case) -> Result:
    """Fail a completed questionnaire whose screening answers are missing or out of range."""
    for variable, condition in case.screening.items():
        if variable not in case.answers:
            return Result(False, f"{variable} is missing")
        if not Evaluator(case.answers).holds(condition, current=case.answers[variable]):
            return Result(False, f"{variable} = {case.answers[variable]!r} fails {condition}")
    return Result(True)


KEYBOARD_ROWS = (
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю",
)
VOWELS = set("aeiouyаеёиоуыэюяәіөұү")
WORD = re.compile(r"[^\W\d_]+")
REPEATED = re.compile(r"(.{1,4})\1{2,}")


def _is_cjk(char: str) -> bool:
    return "CJK" in unicodedata.name(char, "")


NEIGHBOURS = {(row[k], row[k + 1]) for row in KEYBOARD_ROWS for k in range(len(row) - 1)}


def _keyboard_share(letters: str) -> float:
    """Return the share of letters typed in runs of three or more neighbouring keys."""
    covered, run = 0, 1
    for previous, char in itertools.pairwise(letters):
        if (previous, char) in NEIGHBOURS:
            run += 1
            continue
        covered += run if run >= 3 else 0
        run = 1
    covered += run if run >= 3 else 0
    return covered / len(letters)


def gibberish_reason(text: str) -> str | None:
    """Return why an open answer looks like no answer at all, or None if it looks real.

    Deliberately cautious: a short real answer ("нет", "IT", "工资高", "liberty") passes.
    """
    stripped = text.strip()
    letters = "".join(c for c in stripped if c.isalpha()).lower()
    if not letters:
        return "no words" if stripped else "empty"
    if any(_is_cjk(c) for c in letters):
        return "one character repeated" if len(set(letters)) == 1 and len(letters) > 3 else None
    if len(letters) >= 4 and REPEATED.fullmatch(letters):
        return "characters repeated"
    if len(letters) >= 4 and _keyboard_share(letters) >= 0.8:
        return "keys typed along the keyboard"
    for word in WORD.findall(stripped.lower()):
        if len(word) >= 5 and not any(c in VOWELS for c in word):
            return "letters that make no word"
    return None


def gibberish(case: Case) -> Result:
    """Fail an open answer that is empty, repeated characters or keyboard mashing."""
    for variable in case.open_answers:
        value = case.answers.get(variable)
        if value is None:
            continue
        reason = gibberish_reason(str(value))
        if reason:
            return Result(False, f"{variable}: {reason} ({str(value)[:40]!r})")
    return Result(True)


RULES: tuple[Rule, ...] = (
    Rule("speeder", 1, speeder),
    Rule("straightliner", 1, straightliner),
    Rule("attention", 1, attention),
    Rule("duplicate", 1, duplicate),
    Rule("screening", 1, screening),
    Rule("gibberish", 1, gibberish),
)


def run_rules(case: Case, rules: Sequence[Rule] | None = None) -> tuple[bool, dict[str, dict]]:
    """Run every rule (RULES by default); return (valid, {rule: {version, passed, reason}})."""
    results = {}
    for rule in RULES if rules is None else rules:
        result = rule.check(case)
        results[rule.name] = {
            "version": rule.version,
            "passed": result.passed,
            "reason": result.reason,
        }
    return all(r["passed"] for r in results.values()), results
