"""Quality control: the rules that decide whether a completed questionnaire is valid.

Each rule is a small pure function of a `Case` (the submission's answers and what is
known around it), returning whether it passed and why not. Each has a version, recorded
with its result, so a change of rule can be told apart in the data and re-run with
`manage.py revalidate`. What runs them and moves the quota counts is in
`respondents.validation`; the Celery task is in `respondents.tasks`.
"""

from __future__ import annotations

import datetime
import itertools
import re
import statistics
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.expressions import Evaluator

# Below this many earlier interviews the median is too noisy to call anyone a speeder.
SPEEDER_MIN_SAMPLE = 20
STRAIGHTLINE_MIN_ROWS = 5
# Interviewer rules. Pace: this many interviews of one interviewer in a row, each starting
# at most PACE_GAP_MINUTES after the one before ended, is a pace nobody finding respondents
# door to door keeps up.
PACE_RUN = 6
PACE_GAP_MINUTES = 3
# Pattern: two interviews of one interviewer agreeing on this share of at least
# PATTERN_MIN_SHARED answers given in both were copied, not asked.
PATTERN_SHARE = 0.95
PATTERN_MIN_SHARED = 10
# Short: an interviewer whose median interview is under this fraction of the other
# interviewers' median (from SHORT_MIN_OWN of theirs and SHORT_MIN_PEERS of the others').
SHORT_FRACTION = 0.5
SHORT_MIN_OWN = 5
SHORT_MIN_PEERS = 20


@dataclass(frozen=True)
class Interview:
    """Another interview by the same interviewer: when it started, how long, its answers."""

    submission_id: int
    started: float  # Unix seconds
    seconds: float
    answers: Mapping[str, Any] = field(default_factory=dict)


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
    # Face-to-face interviews (CAPI): who interviewed, when this interview started (Unix
    # seconds), the interviewer's other completed interviews of the survey (recent ones),
    # and the lengths of the other interviewers' recent interviews.
    interviewer: int | None = None
    started: float = 0.0
    interviewer_others: Sequence[Interview] = ()
    peer_seconds: Sequence[float] = ()


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


def _clock(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%H:%M UTC")


def interviewer_pace(case: Case) -> Result:
    """Fail an interview in a run of interviews finished minutes apart, or overlapping one.

    One interviewer asks one person at a time, and then has to find the next: interviews
    that overlap, or PACE_RUN in a row with at most PACE_GAP_MINUTES between one's end and
    the next one's start, were not all asked face to face.
    """
    if case.interviewer is None:
        return Result(True, "no interviewer")
    end = case.started + case.seconds
    for other in case.interviewer_others:
        other_end = other.started + other.seconds
        overlap = min(end, other_end) - max(case.started, other.started)
        if overlap > 60:
            return Result(
                False,
                f"overlaps submission {other.submission_id} by the same interviewer "
                f"by {overlap / 60:.0f} min",
            )
    # The interviews by start; a run is each starting at most PACE_GAP_MINUTES after the
    # one before ended: no time to find, greet and seat the next respondent.
    interviews = sorted(
        {
            (case.started, end),
            *((o.started, o.started + o.seconds) for o in case.interviewer_others),
        }
    )
    runs = [[interviews[0]]]
    for interview in interviews[1:]:
        if interview[0] - runs[-1][-1][1] <= PACE_GAP_MINUTES * 60:
            runs[-1].append(interview)
        else:
            runs.append([interview])
    run = next(run for run in runs if (case.started, end) in run)
    if len(run) >= PACE_RUN:
        return Result(
            False,
            f"one of {len(run)} interviews by the same interviewer each starting at most "
            f"{PACE_GAP_MINUTES} min after the last ended, {_clock(run[0][0])} to "
            f"{_clock(run[-1][1])}",
        )
    return Result(True)


def interviewer_pattern(case: Case) -> Result:
    """Fail an interview whose answers nearly repeat another by the same interviewer."""
    if case.interviewer is None:
        return Result(True, "no interviewer")
    for other in case.interviewer_others:
        shared = [
            name
            for name, value in case.answers.items()
            if value not in (None, "", []) and other.answers.get(name) not in (None, "", [])
        ]
        if len(shared) < PATTERN_MIN_SHARED:
            continue
        same = sum(case.answers[name] == other.answers[name] for name in shared)
        if same / len(shared) >= PATTERN_SHARE:
            return Result(
                False,
                f"{same} of {len(shared)} answers as in submission {other.submission_id} "
                "by the same interviewer",
            )
    return Result(True)


def interviewer_short(case: Case) -> Result:
    """Fail the interviews of an interviewer whose median is far under their peers'."""
    if case.interviewer is None:
        return Result(True, "no interviewer")
    own = [case.seconds, *(o.seconds for o in case.interviewer_others)]
    if len(own) < SHORT_MIN_OWN or len(case.peer_seconds) < SHORT_MIN_PEERS:
        return Result(True, "too few interviews to compare")
    mine, theirs = statistics.median(own), statistics.median(case.peer_seconds)
    if mine < theirs * SHORT_FRACTION:
        return Result(
            False,
            f"the interviewer's median interview {mine / 60:.0f} min, under "
            f"{SHORT_FRACTION:.0%} of the other interviewers' {theirs / 60:.0f} min",
        )
    return Result(True)


RULES: tuple[Rule, ...] = (
    Rule("speeder", 1, speeder),
    Rule("straightliner", 1, straightliner),
    Rule("attention", 1, attention),
    Rule("duplicate", 1, duplicate),
    Rule("screening", 1, screening),
    Rule("gibberish", 1, gibberish),
    Rule("interviewer_pace", 1, interviewer_pace),
    Rule("interviewer_pattern", 1, interviewer_pattern),
    Rule("interviewer_short", 1, interviewer_short),
)
INTERVIEWER_RULES = ("interviewer_pace", "interviewer_pattern", "interviewer_short")


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
