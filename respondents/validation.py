"""Validation of completed submissions: run the quality rules, move the quota counts.

A submission's slots go reserved -> confirmed when it is judged valid, and -> released
when it is judged invalid (which reopens a full cell). Every move is a guarded UPDATE on
the slot's state followed by the matching change of the cell's counts, in one
transaction, so running a validation twice moves nothing the second time.
"""

from __future__ import annotations

import copy
import enum
import json
import logging
import os
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audit import services as audit
from fieldwork import plainsql
from fieldwork.errors import Refused
from fieldwork.memo import BoundedMemo
from respondents import announcements, quality, stats
from respondents.models import QuotaSlot, Submission, Verdict, VerdictOverride
from respondents.selectors import interview_median
from surveys.expressions import parse, references
from surveys.models import Survey
from surveys.questionnaire import Type, cache_key, cache_key_of, questionnaire_of

logger = logging.getLogger(__name__)


class CellFull(Refused):
    """A slot cannot take its place again: its hard quota cell filled up meanwhile."""


# "0" records every verdict statement by statement on PostgreSQL too: only for measuring
# what the functions save (bench/validation_throughput.py, ADR 0017).
_FUNCTIONS = os.environ.get("VALIDATION_FUNCTIONS", "1") != "0"

S = QuotaSlot.State

# What quality control derives from a survey version (the survey's row, what the rules
# need from its questionnaire), kept by each worker process in front of the shared cache:
# a key names one version, which cannot change (ADR 0012), and a worker validating
# hundreds of submissions a second would otherwise fetch and unpickle both every time.
_VERSIONS = BoundedMemo("survey versions for quality control", maxsize=32)

# The statements of a validation are written in SQL: it runs once per completed
# questionnaire on every worker, and building each statement with the ORM cost several
# times what the database takes to run it (ADR 0011). Each is plain SQL that PostgreSQL
# and SQLite both accept. On PostgreSQL the usual validation is instead two calls of
# functions made by migration respondents/0003, which do the same (ADR 0013); these
# statements remain for SQLite, re-validation, overrides and the unusual cases.
_SLOTS = """
    SELECT slot.id, slot.cell_id, slot.state, cell.is_hard, cell.name
    FROM respondents_quotaslot slot JOIN surveys_quotacell cell ON cell.id = slot.cell_id
    WHERE slot.submission_id = %s ORDER BY slot.cell_id
"""
_MOVE_SLOT = (
    "UPDATE respondents_quotaslot SET state = %s, updated = %s WHERE id = %s AND state = %s"
)
_MOVE_COUNT = "UPDATE surveys_quotacell SET {old} = {old} - 1, {new} = {new} + 1 WHERE id = %s"
_HAS_ROOM = " AND confirmed < target - reserved"


def _move_slot(cursor, slot: tuple, to: str, now) -> bool:
    """Move one slot to state `to`, adjusting its cell's counts; return whether it moved.

    Confirming a released slot takes a place again, so it is guarded like a reservation:
    it fails when a hard cell has filled up meanwhile.
    """
    slot_id, cell_id, state, is_hard, cell_name = slot
    if state == to:
        return False
    cursor.execute(_MOVE_SLOT, [to, now, slot_id, state])
    if not cursor.rowcount:
        return False
    count = _MOVE_COUNT.format(old=S(state).value, new=S(to).value)
    if state == S.RELEASED and is_hard:
        count += _HAS_ROOM
    cursor.execute(count, [cell_id])
    if not cursor.rowcount:
        raise CellFull([f"quota cell '{cell_name}' is full"])
    return True


def _apply_verdict(submission_id: int, verdict: str) -> None:
    """Move a submission's slots to match `verdict`, all or none of them."""
    target = {Verdict.VALID: S.CONFIRMED, Verdict.INVALID: S.RELEASED}[verdict]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_SLOTS, [submission_id])
        slots = cursor.fetchall()
        # Only taking a released place again can fail; then nothing may have moved.
        may_fail = target == S.CONFIRMED and any(slot[2] == S.RELEASED for slot in slots)
        with transaction.atomic() if may_fail else nullcontext():
            for slot in slots:
                _move_slot(cursor, slot, target, now)


def _questionnaire_checks(survey: Survey) -> dict[str, Any]:
    """Return what the rules need from the questionnaire, kept per questionnaire version.

    A draft's questions change without its version moving, so a draft's are derived
    every time (`cache_key` is None).
    """

    def derive() -> dict[str, Any]:
        questions = list(questionnaire_of(survey).questions())
        return {
            "grids": [
                (q.variable, [row.variable for row in q.rows])
                for q in questions
                if q.type == Type.GRID
            ],
            "attention": {q.variable: q.attention_check for q in questions if q.attention_check},
            "screening": {q.variable: q.screening for q in questions if q.screening},
            "open": [q.variable for q in questions if q.type in (Type.TEXT, Type.LONG_TEXT)],
            # Who a person is, as far as answers tell: screening answers, sex, and the
            # answers the quota cells split on (region, city).
            "demographic": sorted(
                {q.variable for q in questions if q.screening}
                | {"gender"}
                | set().union(*(references(parse(c.condition)) for c in survey.quota_cells.all()))
            ),
        }

    key = cache_key(survey, "qc-checks")
    if key is None:
        return derive()
    return _VERSIONS.through_cache(key, derive, timeout=3600)


def _json(value: Any) -> Any:
    """A JSON column read by plain SQL: text on both databases Django talks to here."""
    return json.loads(value) if isinstance(value, str) else value


def _case(judged: _ToJudge, survey: Survey) -> quality.Case:
    submission = judged.submission
    answers = {**judged.known, **submission.answers}
    checks = _questionnaire_checks(survey)
    median, sample = interview_median(survey)
    return quality.Case(
        answers=answers,
        seconds=submission.seconds or 0.0,
        median_seconds=median,
        sample_size=sample,
        speeder_fraction=survey.speeder_fraction,
        grids=[quality.Grid(name, tuple(rows)) for name, rows in checks["grids"]],
        attention_checks=checks["attention"],
        screening=checks["screening"],
        open_answers=checks["open"],
        duplicate_of=_duplicate_of(judged, answers, checks["demographic"]),
        **_interviewer_case(submission),
    )


# The interviewer rules compare an interview with that interviewer's recent others, and
# with the other interviewers' recent lengths: read only for a face-to-face interview.
_INTERVIEWER_RECENT = 200
_PEERS_RECENT = 500


def _interviewer_case(submission: Submission) -> dict[str, Any]:
    """What the interviewer rules need (`quality.Case`'s interviewer fields), or nothing."""
    interviewer = submission.interviewer_id
    if interviewer is None:
        return {}
    completes = Submission.objects.filter(
        survey_id=submission.survey_id, status=Submission.Status.COMPLETED
    )
    own = completes.filter(interviewer_id=interviewer).order_by("-ended")[:_INTERVIEWER_RECENT]
    started = 0.0
    others = []
    for pk, begun, seconds, their_answers in own.values_list("pk", "started", "seconds", "answers"):
        if pk == submission.pk:
            started = begun.timestamp()
        else:
            others.append(quality.Interview(pk, begun.timestamp(), seconds or 0.0, their_answers))
    peers = (
        completes.filter(interviewer__isnull=False)
        .exclude(interviewer_id=interviewer)
        .order_by("-ended")
        .values_list("seconds", flat=True)[:_PEERS_RECENT]
    )
    return {
        "interviewer": interviewer,
        "started": started or submission.started.timestamp(),
        "interviewer_others": others,
        "peer_seconds": [seconds for seconds in peers if seconds is not None],
    }


_EARLIER = """
    SELECT id, answers, respondent_id FROM respondents_submission
    WHERE survey_id = %s AND ip_hash = %s AND user_agent = %s AND status = %s
      AND ended < %s AND verdict <> %s AND is_test = %s
    ORDER BY ended
"""
_KNOWN = "SELECT known FROM respondents_respondent WHERE id = %s"


def _duplicate_of(judged: _ToJudge, answers: dict[str, Any], demographic) -> int | None:
    """Return an earlier valid-or-pending submission from the same person, if any.

    A panel id is unique within a survey (a database constraint), so the same person
    here is the same IP hash and browser with the same demographic answers (the
    screening questions and gender): two people sharing a home connection differ in age
    or sex, and one person on two devices is not caught.
    """
    earlier = judged.earlier if judged.earlier is not None else _earlier(judged.submission)
    for other_id, theirs in earlier:
        if all(theirs.get(name) == answers.get(name) for name in demographic):
            return other_id
    return None


def _earlier(submission: Submission) -> list[tuple[int, dict[str, Any]]]:
    """Earlier submissions from the same address and browser, with what they answered.

    Read when the locked read did not bring them. Usually there are none: one submission
    per address and browser.
    """
    if not submission.ip_hash:
        return []
    params = [
        submission.survey_id,
        submission.ip_hash,
        submission.user_agent,
        Submission.Status.COMPLETED,
        connection.ops.adapt_datetimefield_value(submission.ended),
        Verdict.INVALID,
        # A test submission is compared with tests only, a real one with real ones.
        submission.is_test,
    ]
    found = []
    with connection.cursor() as cursor:
        cursor.execute(_EARLIER, params)
        for other_id, their_answers, respondent_id in cursor.fetchall():
            cursor.execute(_KNOWN, [respondent_id])
            found.append((other_id, {**_json(cursor.fetchone()[0]), **_json(their_answers)}))
    return found


_LOCK = """
    SELECT s.*, r.known AS respondent_known, sv.status AS survey_status,
        sv.questionnaire_version AS survey_version,
        sv.subscribers_version AS survey_subscribers
    FROM respondents_submission s
    JOIN respondents_respondent r ON r.id = s.respondent_id
    JOIN surveys_survey sv ON sv.id = s.survey_id
    WHERE s.id = %s
"""
_JUDGE = """
    UPDATE respondents_submission SET qc_verdict = %s, qc_results = %s, verdict = %s,
        validated = %s
    WHERE id = %s
"""
_TO_JUDGE = "SELECT * FROM respondents_submission_to_judge(%s)"


@dataclass
class _ToJudge:
    """A submission read and locked for judging, with what judging needs besides."""

    submission: Submission
    known: dict[str, Any]
    survey_status: str
    survey_version: int
    # The survey's subscribers version, read fresh: whom the verdict is announced to.
    survey_subscribers: int
    # The earlier submissions from the same address and browser as (id, their answers),
    # when the read brought them (the PostgreSQL function does); None: not read yet.
    earlier: list[tuple[int, dict[str, Any]]] | None = None


def _locked(submission_id: int) -> _ToJudge | None:
    """Read a submission with what judging needs, locking the submission's row."""
    if connection.vendor != "postgresql" or not _FUNCTIONS:
        sql = _LOCK
        if connection.features.has_select_for_update_of:
            sql += " FOR UPDATE OF s"
        elif connection.features.has_select_for_update:
            sql += " FOR UPDATE"
        submission = next(iter(Submission.objects.raw(sql, [submission_id])), None)
        if submission is None:
            return None
        return _ToJudge(
            submission,
            _json(submission.respondent_known),
            submission.survey_status,
            submission.survey_version,
            submission.survey_subscribers,
        )
    # One call of a function whose statements are planned once per connection; it also
    # brings the earlier submissions that the duplicate rule compares (ADR 0013). The
    # instance is built from the row: a raw queryset added a third to the read.
    with connection.cursor() as cursor:
        cursor.execute(_TO_JUDGE, [submission_id])
        row = cursor.fetchone()
        names = [column.name for column in cursor.description]
    if row is None:
        return None
    values = dict(zip(names, row, strict=True))
    earlier = [
        (other_id, {**_json(known), **_json(answers)})
        for other_id, known, answers in values["earlier"] or []
    ]
    return _ToJudge(
        plainsql.partial_instance(Submission, values),
        _json(values["respondent_known"]),
        values["survey_status"],
        values["survey_version"],
        values["survey_subscribers"],
        earlier if values["ip_hash"] else [],
    )


def _survey_of(judged: _ToJudge) -> Survey:
    """The submission's survey, kept per survey version; status and subscribers read fresh.

    Everything quality control reads of the survey's row (speeder threshold, sample
    target) moves its version when it changes (`survey_questionnaire_changed`); a survey
    that closes itself does so by a plain UPDATE, so the status comes from the locked read,
    as does the subscribers version (a webhook added moves only that).
    """
    survey_id = judged.submission.survey_id
    key = cache_key_of("qc-survey", survey_id, judged.survey_version)
    # A copy: the kept one is shared by every validation this process runs.
    kept = _VERSIONS.through_cache(key, lambda: Survey.objects.get(pk=survey_id), timeout=3600)
    survey = copy.copy(kept)
    survey.status = judged.survey_status
    survey.subscribers_version = judged.survey_subscribers
    return survey


def submission_validate(submission_id: int, *, force: bool = False) -> Submission | None:
    """Run quality control on a completed submission and move its quota slots.

    Does nothing for a submission already judged, unless `force` (re-validation after a
    change of rules). A field manager's override stays in force: the rules' results
    are recorded beside it. On PostgreSQL the submission returned holds the columns
    validation reads (status, verdicts, answers, times...); any other loads on access.
    """
    with transaction.atomic():
        judged = _locked(submission_id)
        if judged is None:
            return None
        submission = judged.submission
        if submission.status != Submission.Status.COMPLETED:
            return submission
        if submission.verdict != Verdict.PENDING and not force:
            return submission
        survey = _survey_of(judged)
        valid, results = quality.run_rules(_case(judged, survey))
        qc_verdict = Verdict.VALID if valid else Verdict.INVALID
        previous = submission.verdict
        validated = timezone.now()
        recorded = Recorded.GENERAL
        if not force and not submission.overridden:
            recorded = _record_in_one_call(submission, survey, qc_verdict, results, validated)
        if recorded is Recorded.GENERAL:
            verdict = _record(submission, survey, qc_verdict, results, validated)
        else:
            verdict = qc_verdict
        submission.qc_verdict = qc_verdict
        submission.qc_results = results
        submission.verdict = verdict
        submission.validated = validated
        if verdict != previous:
            announcements.announce(submission, verdict, survey)
        if recorded is Recorded.GENERAL and verdict == Verdict.VALID and not submission.is_test:
            survey_close_if_complete(survey)
        elif recorded is Recorded.CLOSED:
            _log_closed(survey)
    return submission


def _record(
    submission: Submission, survey: Survey, qc_verdict: str, results: dict, validated
) -> str:
    """Store a verdict statement by statement, for every case; return the verdict stored.

    An override stays in force over the rules' verdict; a slot that cannot be taken
    again (its cell filled up since) makes the submission invalid.
    """
    verdict = qc_verdict
    if submission.overridden:
        verdict = submission.overrides.order_by("-created").first().verdict
    # A test submission holds no slot and moves no count (ADR 0026).
    if not submission.is_test:
        try:
            _apply_verdict(submission.pk, verdict)
        except CellFull as full:
            # Re-validation found it valid, but its cell filled up in the meantime.
            verdict = Verdict.INVALID
            results["quota"] = {"version": 1, "passed": False, "reason": str(full)}
            _apply_verdict(submission.pk, verdict)
        stats.count_verdict(submission, submission.verdict, verdict)
        stats.count_rules(survey.pk, submission.qc_results, results)
    with connection.cursor() as cursor:
        cursor.execute(
            _JUDGE,
            [
                qc_verdict,
                json.dumps(results),
                verdict,
                connection.ops.adapt_datetimefield_value(validated),
                submission.pk,
            ],
        )
    return verdict


_RECORD_VERDICT = "SELECT respondents_record_verdict(" + ", ".join(["%s"] * 13) + ")"


class Recorded(enum.Enum):
    """What the one-call recording did (`respondents_record_verdict`'s answer)."""

    GENERAL = "general"  # nothing: the general path (`_record`) must record the verdict
    RECORDED = "recorded"
    CLOSED = "closed"  # recorded, and the survey closed at its target


def _record_in_one_call(
    submission: Submission, survey: Survey, verdict: str, results: dict, validated
) -> Recorded:
    """Store a first verdict with one call of a PostgreSQL function (ADR 0013, 0017).

    The function does what `_record` and `survey_close_if_complete` do, in the database,
    for the usual case: a verdict of the rules, every slot still reserved, every count
    row there. Anything else, and any other database, is left to the general path.
    """
    if connection.vendor != "postgresql" or not _FUNCTIONS or submission.is_test:
        return Recorded.GENERAL
    changes = stats.verdict_changes(submission.verdict, verdict)
    day_valid = stats.day_valid_change(submission, submission.verdict, verdict)
    live = survey.status == Survey.Status.LIVE
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_VERDICT,
            [
                submission.pk,
                submission.survey_id,
                S.CONFIRMED if verdict == Verdict.VALID else S.RELEASED,
                verdict,
                verdict,
                json.dumps(results),
                validated,
                timezone.localdate(submission.ended) if day_valid else None,
                changes.get("valid", 0),
                changes.get("invalid", 0),
                day_valid,
                json.dumps(stats.rule_changes(submission.qc_results, results)),
                survey.sample_target if live and survey.sample_target else 0,
            ],
        )
        return Recorded(cursor.fetchone()[0])


def submission_override(submission: Submission, verdict: str, reason: str, user=None) -> None:
    """Record a field manager's verdict with its reason, and move the counts to match."""
    if verdict not in (Verdict.VALID, Verdict.INVALID):
        raise Refused([f"unknown verdict {verdict!r}"])
    if not reason.strip():
        raise Refused(["an override needs a reason"])
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != Submission.Status.COMPLETED:
            raise Refused([f"submission {locked.pk} is {locked.status}, not completed"])
        if not locked.is_test:
            _apply_verdict(locked.pk, verdict)
            stats.count_verdict(locked, locked.verdict, verdict)
        VerdictOverride.objects.create(
            submission=locked, verdict=verdict, previous=locked.verdict, reason=reason, user=user
        )
        audit.record(
            audit.Action.VERDICT_OVERRIDE,
            user=user,
            survey=locked.survey,
            target=f"submission {locked.pk}",
            details={"from": locked.verdict, "to": verdict, "reason": reason},
        )
        Submission.objects.filter(pk=locked.pk).update(verdict=verdict, overridden=True)
        if locked.verdict != verdict:
            announcements.announce(locked, verdict)
        if verdict == Verdict.VALID and not locked.is_test:
            survey_close_if_complete(locked.survey)
    submission.verdict = verdict


def survey_close_if_complete(survey: Survey) -> bool:
    """Close a live survey once its sample target of valid questionnaires is reached."""
    if survey.status != Survey.Status.LIVE or not survey.sample_target:
        return False
    # The kept count moved in this same transaction, before this check.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT valid FROM respondents_surveystats WHERE survey_id = %s", [survey.pk]
        )
        row = cursor.fetchone()
    valid = row[0] if row else 0
    if valid < survey.sample_target:
        return False
    closed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.LIVE).update(
        status=Survey.Status.CLOSED
    )
    if closed:
        _log_closed(survey)
    return bool(closed)


def _log_closed(survey: Survey) -> None:
    logger.info(
        "survey %s reached its target of %s valid questionnaires and closed",
        survey.slug,
        survey.sample_target,
    )


def pending_submission_ids(older_than_seconds: int, limit: int = 1000) -> list[int]:
    """Claim completed submissions still awaiting validation after a grace period.

    Each is marked as sent, so the next sweep skips it for another grace period: a long
    backlog is sent again once per period, not once per minute.
    """
    now = timezone.now()
    cutoff = now - timezone.timedelta(seconds=older_than_seconds)
    ids = list(
        Submission.objects.filter(
            status=Submission.Status.COMPLETED, verdict=Verdict.PENDING, ended__lt=cutoff
        )
        .filter(Q(queued__isnull=True) | Q(queued__lte=cutoff))
        .order_by("ended")
        .values_list("pk", flat=True)[:limit]
    )
    Submission.objects.filter(pk__in=ids).update(queued=now)
    return ids
