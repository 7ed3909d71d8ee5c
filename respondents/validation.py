"""Validation of completed submissions: run the quality rules, move the quota counts.

A submission's slots go reserved -> confirmed when it is judged valid, and -> released
when it is judged invalid (which reopens a full cell). Every move is a guarded UPDATE on
the slot's state followed by the matching change of the cell's counts, in one
transaction, so running a validation twice moves nothing the second time.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from respondents import quality, signals, stats
from respondents.models import QuotaSlot, Submission, SurveyStats, Verdict, VerdictOverride
from respondents.selectors import interview_median
from surveys.errors import SurveyError
from surveys.expressions import parse, references
from surveys.models import Question, QuotaCell, Survey

logger = logging.getLogger(__name__)

S = QuotaSlot.State


def _move_slot(slot: QuotaSlot, to: str) -> bool:
    """Move one slot to state `to`, adjusting its cell's counts; return whether it moved.

    Confirming a released slot takes a place again, so it is guarded like a reservation:
    it fails when a hard cell has filled up meanwhile.
    """
    if slot.state == to:
        return False
    cells = QuotaCell.objects.filter(pk=slot.cell_id)
    if slot.state == S.RELEASED and slot.cell.is_hard:
        cells = cells.filter(confirmed__lt=F("target") - F("reserved"))
    moved = QuotaSlot.objects.filter(pk=slot.pk, state=slot.state).update(
        state=to, updated=timezone.now()
    )
    if not moved:
        return False
    changes = {slot.state: F(slot.state) - 1, to: F(to) + 1}
    if not cells.update(**changes):
        raise SurveyError([f"quota cell '{slot.cell.name}' is full"])
    slot.state = to
    return True


def _apply_verdict(submission: Submission, verdict: str) -> None:
    target = {Verdict.VALID: S.CONFIRMED, Verdict.INVALID: S.RELEASED}[verdict]
    for slot in submission.slots.select_related("cell").order_by("cell_id"):
        _move_slot(slot, target)


def _questionnaire_checks(survey: Survey) -> dict[str, Any]:
    """Return what the rules need from the questionnaire, cached while it cannot change.

    A live survey's questionnaire is frozen, and the key carries its last change, so
    every worker can keep this in the shared cache instead of reading it per submission.
    """
    key = f"qc:questionnaire:{survey.pk}:{survey.updated.timestamp()}"
    checks = cache.get(key)
    if checks is None:
        questions = list(Question.objects.filter(survey=survey).prefetch_related("rows"))
        checks = {
            "grids": [
                (q.variable, [r.variable for r in q.rows.all()])
                for q in questions
                if q.type == Question.Type.GRID
            ],
            "attention": {q.variable: q.attention_check for q in questions if q.attention_check},
            "screening": {q.variable: q.screening for q in questions if q.screening},
            "open": [
                q.variable
                for q in questions
                if q.type in (Question.Type.TEXT, Question.Type.LONG_TEXT)
            ],
            # Who a person is, as far as answers tell: screening answers, sex, and the
            # answers the quota cells split on (region, city).
            "demographic": sorted(
                {q.variable for q in questions if q.screening}
                | {"gender"}
                | set().union(*(references(parse(c.condition)) for c in survey.quota_cells.all()))
            ),
        }
        cache.set(key, checks, timeout=3600)
    return checks


def _case(submission: Submission, survey: Survey) -> quality.Case:
    answers = {**submission.respondent.known, **submission.answers}
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
        duplicate_of=_duplicate_of(submission, answers, checks["demographic"]),
    )


def _duplicate_of(submission: Submission, answers: dict[str, Any], demographic) -> int | None:
    """Return an earlier valid-or-pending submission from the same person, if any.

    A panel id is unique within a survey (a database constraint), so the same person
    here is the same IP hash and browser with the same demographic answers (the
    screening questions and gender): two people sharing a home connection differ in age
    or sex, and one person on two devices is not caught.
    """
    if not submission.ip_hash:
        return None
    earlier = (
        Submission.objects.filter(
            survey_id=submission.survey_id,
            ip_hash=submission.ip_hash,
            user_agent=submission.user_agent,
            status=Submission.Status.COMPLETED,
            ended__lt=submission.ended,
        )
        .exclude(verdict=Verdict.INVALID)
        .select_related("respondent")
        .order_by("ended")
    )
    for other in earlier:
        theirs = {**other.respondent.known, **other.answers}
        if all(theirs.get(name) == answers.get(name) for name in demographic):
            return other.pk
    return None


def submission_validate(submission_id: int, *, force: bool = False) -> Submission | None:
    """Run quality control on a completed submission and move its quota slots.

    Does nothing for a submission already judged, unless `force` (re-validation after a
    change of rules). A field manager's override stays in force: the rules' results
    are recorded beside it.
    """
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("respondent", "survey")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None or submission.status != Submission.Status.COMPLETED:
            return submission
        if submission.verdict != Verdict.PENDING and not force:
            return submission
        survey = submission.survey
        valid, results = quality.run_rules(_case(submission, survey))
        qc_verdict = Verdict.VALID if valid else Verdict.INVALID
        verdict = qc_verdict
        if submission.overridden:
            verdict = submission.overrides.order_by("-created").first().verdict
        try:
            with transaction.atomic():
                _apply_verdict(submission, verdict)
        except SurveyError as full:
            # Re-validation found it valid, but its cell filled up in the meantime.
            verdict = Verdict.INVALID
            results["quota"] = {"version": 1, "passed": False, "reason": str(full)}
            _apply_verdict(submission, verdict)
        previous = submission.verdict
        stats.count_verdict(submission, submission.verdict, verdict)
        stats.count_rules(survey.pk, submission.qc_results, results)
        submission.qc_verdict = qc_verdict
        submission.qc_results = results
        submission.verdict = verdict
        submission.validated = timezone.now()
        submission.save(update_fields=["qc_verdict", "qc_results", "verdict", "validated"])
        if verdict != previous:
            signals.judged(submission, verdict)
        if verdict == Verdict.VALID:
            survey_close_if_complete(survey)
    return submission


def submission_override(submission: Submission, verdict: str, reason: str, user=None) -> None:
    """Record a field manager's verdict with its reason, and move the counts to match."""
    if verdict not in (Verdict.VALID, Verdict.INVALID):
        raise SurveyError([f"unknown verdict {verdict!r}"])
    if not reason.strip():
        raise SurveyError(["an override needs a reason"])
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != Submission.Status.COMPLETED:
            raise SurveyError([f"submission {locked.pk} is {locked.status}, not completed"])
        _apply_verdict(locked, verdict)
        stats.count_verdict(locked, locked.verdict, verdict)
        VerdictOverride.objects.create(
            submission=locked, verdict=verdict, previous=locked.verdict, reason=reason, user=user
        )
        Submission.objects.filter(pk=locked.pk).update(verdict=verdict, overridden=True)
        if locked.verdict != verdict:
            signals.judged(locked, verdict)
        if verdict == Verdict.VALID:
            survey_close_if_complete(locked.survey)
    submission.verdict = verdict


def survey_close_if_complete(survey: Survey) -> bool:
    """Close a live survey once its sample target of valid questionnaires is reached."""
    if survey.status != Survey.Status.LIVE or not survey.sample_target:
        return False
    # The kept count moved in this same transaction, before this check.
    valid = SurveyStats.objects.filter(survey=survey).values_list("valid", flat=True).first() or 0
    if valid < survey.sample_target:
        return False
    closed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.LIVE).update(
        status=Survey.Status.CLOSED
    )
    if closed:
        logger.info("survey %s reached %s valid questionnaires and closed", survey.slug, valid)
    return bool(closed)


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
