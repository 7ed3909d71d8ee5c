"""Validation of completed submissions: run the quality rules, record the verdict.

One locked read brings what the rules need (`_locked`); the verdict is recorded by
`respondents.verdicts`, the one path every verdict takes, in the same transaction: a
validation run twice records nothing the second time.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audit import services as audit
from fieldwork import plainsql
from fieldwork.errors import Refused
from fieldwork.memo import BoundedMemo
from respondents import announcements, quality, verdicts
from respondents.models import Submission, Verdict, VerdictOverride
from respondents.selectors import interview_median
from surveys.expressions import parse, references
from surveys.models import Survey
from surveys.questionnaire import Type, cache_key, cache_key_of, questionnaire_of

logger = logging.getLogger(__name__)


# What quality control derives from a survey version (the survey's row, what the rules
# need from its questionnaire), kept by each worker process in front of the shared cache:
# a key names one version, which cannot change (ADR 0012), and a worker validating
# hundreds of submissions a second would otherwise fetch and unpickle both every time.
_VERSIONS = BoundedMemo("survey versions for quality control", maxsize=32)


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


def _duplicate_of(judged: _ToJudge, answers: dict[str, Any], demographic) -> int | None:
    """Return an earlier valid-or-pending submission from the same person, if any.

    A panel id is unique within a survey (a database constraint), so the same person
    here is the same IP hash and browser with the same demographic answers (the
    screening questions and gender): two people sharing a home connection differ in age
    or sex, and one person on two devices is not caught.
    """
    for other_id, theirs in judged.earlier:
        if all(theirs.get(name) == answers.get(name) for name in demographic):
            return other_id
    return None


# The submission, what the panel knew of its respondent, its survey's status and versions,
# and (one row each) the earlier completed, not invalid submissions of the survey from the
# same address and browser, in the order they ended: a test submission is compared with
# test submissions only, a real one with real ones.
_LOCK = """
    SELECT {submission}, r.known, sv.status, sv.questionnaire_version,
        sv.subscribers_version, e.id, er.known, e.answers
    FROM respondents_submission s
    JOIN respondents_respondent r ON r.id = s.respondent_id
    JOIN surveys_survey sv ON sv.id = s.survey_id
    LEFT JOIN respondents_submission e ON s.ip_hash <> '' AND e.survey_id = s.survey_id
        AND e.ip_hash = s.ip_hash AND e.user_agent = s.user_agent AND e.status = %s
        AND e.ended < s.ended AND e.verdict <> %s AND e.is_test = s.is_test
    LEFT JOIN respondents_respondent er ON er.id = e.respondent_id
    WHERE s.id = %s
    ORDER BY e.ended
"""


@dataclass
class _ToJudge:
    """A submission read and locked for judging, with what judging needs besides."""

    submission: Submission
    known: dict[str, Any]
    survey_status: str
    survey_version: int
    # The survey's subscribers version, read fresh: whom the verdict is announced to.
    survey_subscribers: int
    # The earlier submissions from the same address and browser as (id, their answers).
    earlier: list[tuple[int, dict[str, Any]]]


def _locked(submission_id: int) -> _ToJudge | None:
    """Read a submission with what judging needs, locking the submission's row."""
    sql = _LOCK.format(submission=plainsql.columns(Submission, "s"))
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF s"
    _, rows = plainsql.run([(sql, [Submission.Status.COMPLETED, Verdict.INVALID, submission_id])])
    if not rows:
        return None
    width = plainsql.width(Submission)
    first = rows[0]
    known, status, version, subscribers = first[width : width + 4]
    earlier = [
        (row[width + 4], {**_json(row[width + 5]), **_json(row[width + 6])})
        for row in rows
        if row[width + 4] is not None
    ]
    return _ToJudge(
        plainsql.instance(Submission, first[:width]),
        _json(known),
        status,
        version,
        subscribers,
        earlier,
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
    """Run quality control on a completed submission and record its verdict.

    Does nothing for a submission already judged, unless `force` (re-validation after a
    change of rules). A field manager's override stays in force: the rules' results
    are recorded beside it. The submission returned holds what was recorded.
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
        rules = verdicts.Rules(Verdict.VALID if valid else Verdict.INVALID, results)
        # An override is the submission's verdict until another override.
        verdict = submission.verdict if submission.overridden else rules.verdict
        validated = timezone.now()
        recorded = verdicts.record(submission, verdict, rules=rules, now=validated)
        previous = submission.verdict
        submission.qc_verdict = rules.verdict
        submission.qc_results = recorded.results
        submission.verdict = recorded.verdict
        submission.validated = validated
        if recorded.verdict != previous:
            announcements.announce(submission, recorded.verdict, survey)
        if recorded.closed:
            _log_closed(survey)
    return submission


def submission_override(submission: Submission, verdict: str, reason: str, user=None) -> None:
    """Record a field manager's verdict with its reason, and move the counts to match.

    Refused (`verdicts.CellFull`) when the verdict would take a place again in a hard
    quota cell that has filled up since.
    """
    if verdict not in (Verdict.VALID, Verdict.INVALID):
        raise Refused([f"unknown verdict {verdict!r}"])
    if not reason.strip():
        raise Refused(["an override needs a reason"])
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != Submission.Status.COMPLETED:
            raise Refused([f"submission {locked.pk} is {locked.status}, not completed"])
        recorded = verdicts.record(locked, verdict)
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
        if locked.verdict != verdict:
            announcements.announce(locked, verdict)
        if recorded.closed:
            _log_closed(locked.survey)
    submission.verdict = verdict
    submission.overridden = True


def survey_close_if_complete(survey: Survey) -> bool:
    """Close a live survey once its sample target of valid questionnaires is reached."""
    closed = verdicts.run([verdicts.close(survey.pk)]) > 0
    if closed:
        _log_closed(survey)
    return closed


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
