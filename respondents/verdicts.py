"""Recording a verdict: the one path every verdict takes (ADR 0017).

A verdict moves the submission's quota slots (to confirmed when valid, to released when
invalid), its cells' counts, the survey's valid and invalid counts, the day's valid count
and each rule's failure count; stores the verdict on the submission; and closes a live
survey whose sample target of valid questionnaires it reaches. Validation (a first
verdict, a re-validation) and a field manager's override record the same way.

It is plain SQL that PostgreSQL and SQLite both accept, planned in Python from one locked
read of the submission's slots and their cells, so nothing that can fail is left for the
writes. They go to PostgreSQL in one round trip, each statement planned once per session
(`fieldwork.plainsql.run`); SQLite, which has no network to save, runs them one by one.
A recording runs once per completed questionnaire on every worker; building these
statements with the ORM cost several times what the database takes to run them (ADR 0011).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from fieldwork import plainsql
from fieldwork.errors import Refused
from respondents import stats
from respondents.models import QuotaSlot, RuleStats, Submission, SurveyStats, Verdict
from surveys.models import Survey

S = QuotaSlot.State

Statement = plainsql.Statement


class CellFull(Refused):
    """A slot cannot take its place again: its hard quota cell filled up meanwhile."""


# The slots with their cells, the cells locked in id order as every path that moves their
# counts locks them (ADR 0005). `room`: whether the cell can take one more place.
_SLOTS = """
    SELECT slot.id, slot.cell_id, slot.state, cell.is_hard, cell.name,
        cell.confirmed < cell.target - cell.reserved
    FROM respondents_quotaslot slot JOIN surveys_quotacell cell ON cell.id = slot.cell_id
    WHERE slot.submission_id = %s ORDER BY slot.cell_id
"""
_MOVE_SLOT = "UPDATE respondents_quotaslot SET state = %s, updated = %s WHERE id = %s"
_MOVE_COUNT = "UPDATE surveys_quotacell SET {old} = {old} - 1, {new} = {new} + 1 WHERE id = %s"
_JUDGE = """
    UPDATE respondents_submission SET qc_verdict = %s, qc_results = %s, verdict = %s,
        validated = %s
    WHERE id = %s
"""
_OVERRIDE = "UPDATE respondents_submission SET verdict = %s, overridden = %s WHERE id = %s"
_CLOSE = """
    UPDATE surveys_survey SET status = %s
    WHERE id = %s AND status = %s AND sample_target > 0
        AND sample_target <= (SELECT valid FROM respondents_surveystats WHERE survey_id = %s)
"""
# A validation commits without waiting for the disk: a verdict lost in a crash is judged
# again by the sweeper (ADR 0011).
_NO_WAIT = "SET LOCAL synchronous_commit TO OFF"


@dataclass(frozen=True)
class Slot:
    id: int
    cell_id: int
    state: str
    is_hard: bool
    cell_name: str
    room: bool


@dataclass(frozen=True)
class Rules:
    """What the quality rules found: their verdict and each rule's result."""

    verdict: str
    results: dict[str, Any]


@dataclass(frozen=True)
class Recorded:
    """What a recording stored: the verdict (invalid when a cell was full), the rules'
    results (with the full cell's, if so; None for an override), and whether it closed
    the survey."""

    verdict: str
    results: dict[str, Any] | None
    closed: bool


def slots_of(submission_id: int) -> list[Slot]:
    """Read a submission's slots, locking their cells (in id order) until the commit."""
    sql = _SLOTS
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF cell"
    _, rows = plainsql.run([(sql, [submission_id])])
    return [Slot(*row[:5], room=bool(row[5])) for row in rows]


def _moves(slots: list[Slot], verdict: str, now: Any) -> list[Statement] | None:
    """The statements that bring every slot to `verdict`'s state; None if one cannot.

    Taking a released place again is the one move that needs room: a hard cell may have
    filled up since.
    """
    to = S.CONFIRMED if verdict == Verdict.VALID else S.RELEASED
    statements: list[Statement] = []
    for slot in slots:
        if slot.state == to:
            continue
        if slot.state == S.RELEASED and slot.is_hard and not slot.room:
            return None
        statements.append((_MOVE_SLOT, [to, now, slot.id]))
        count = _MOVE_COUNT.format(old=S(slot.state).value, new=S(to).value)
        statements.append((count, [slot.cell_id]))
    return statements


def _counts(submission: Submission, old: str, new: str, rules: Rules | None) -> list[Statement]:
    """The statements that move the survey's, the day's and the rules' counts."""
    survey_id = submission.survey_id
    statements = []
    changes = stats.verdict_changes(old, new)
    if changes:
        statements.append(stats.add_statement(SurveyStats, {"survey_id": survey_id}, changes))
    day_valid = stats.day_valid_change(submission, old, new)
    if day_valid:
        statements.append(stats.day_statement(survey_id, submission.ended, valid=day_valid))
    if rules is not None:
        changed = stats.rule_changes(submission.qc_results or {}, rules.results)
        for rule in sorted(changed):  # one order for every recording: no deadlock
            keys = {"survey_id": survey_id, "rule": rule}
            statements.append(stats.add_statement(RuleStats, keys, {"failed": changed[rule]}))
    return statements


def record(
    submission: Submission,
    verdict: str,
    *,
    rules: Rules | None = None,
    now: datetime.datetime | None = None,
) -> Recorded:
    """Record `verdict` for a completed submission whose row the caller holds locked.

    With `rules`, a validation: the rules' verdict and results are stored beside it, and a
    slot that cannot take its place again makes the verdict invalid (the reason in the
    results' "quota"). Without, a field manager's override: a full cell refuses it
    (`CellFull`), and nothing is written. A test submission holds no slot and moves no
    count (ADR 0026). The caller's submission is left as it was read.
    """
    now = now or timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    statements: list[Statement] = []
    if not submission.is_test:
        slots = slots_of(submission.pk)
        moves = _moves(slots, verdict, at)
        if moves is None:
            full = next(s for s in slots if s.state == S.RELEASED and s.is_hard and not s.room)
            reason = f"quota cell '{full.cell_name}' is full"
            if rules is None:
                raise CellFull([reason])
            # Re-validation found it valid, but its cell filled up in the meantime.
            verdict = Verdict.INVALID
            results = {**rules.results, "quota": {"version": 1, "passed": False, "reason": reason}}
            rules = Rules(rules.verdict, results)
            moves = _moves(slots, verdict, at)
        statements += moves
        statements += _counts(submission, submission.verdict, verdict, rules)
    if rules is not None:
        judge = [rules.verdict, json.dumps(rules.results), verdict, at, submission.pk]
        statements.append((_JUDGE, judge))
    else:
        statements.append((_OVERRIDE, [verdict, True, submission.pk]))
    closes = verdict == Verdict.VALID and not submission.is_test
    if closes:
        statements.append(close(submission.survey_id))
    if rules is not None and connection.vendor == "postgresql":
        statements.insert(0, (_NO_WAIT, []))
    last = run(statements)
    results = rules.results if rules is not None else None
    return Recorded(verdict, results, closed=closes and last > 0)


def close(survey_id: int) -> Statement:
    """The statement that closes a live survey whose kept valid count reached its target.

    Last in a recording that may close the survey: its row count says whether it did. The
    count it compares moved earlier in the same transaction.
    """
    return _CLOSE, [Survey.Status.CLOSED, survey_id, Survey.Status.LIVE, survey_id]


def run(statements: list[Statement]) -> int:
    """Run `statements` in order, in one round trip on PostgreSQL; return the row count of
    the last."""
    return plainsql.run(statements)[0]
