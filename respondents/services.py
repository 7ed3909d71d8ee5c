"""Writes for respondents: invitations, starting, saving pages, ending a submission.

`submission_complete` is the one way a submission is completed: the web form calls it
today, and the API and the fieldwork simulation will call it too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from fieldwork import plainsql
from respondents import announcements, flow, stats
from respondents.known import screened_out_by
from respondents.models import QuotaSlot, Respondent, Submission
from respondents.panel import PanelMember
from respondents.tasks import enqueue_validation
from respondents.tokens import new_token
from surveys.definition import CONTROL_CHARACTERS
from surveys.expressions import Evaluator
from surveys.models import QuotaCell, Survey
from surveys.questionnaire import Page, Questionnaire, questionnaire_of

logger = logging.getLogger(__name__)


def ip_hash(ip: str) -> str:
    """Return a salted hash of an IP address; the address itself is never stored."""
    if not ip:
        return ""
    return salted_hmac("respondents.ip", ip, algorithm="sha256").hexdigest()


@transaction.atomic
def panel_invite(survey: Survey, members: Iterable[PanelMember]) -> tuple[list[Respondent], int]:
    """Invite `members` to `survey`; return (their respondents, how many are new).

    A member invited before keeps their token, so their link stays valid; what is known of
    them is updated only while they have not started.
    """
    members = list(members)
    ids = [m.panel_id for m in members]
    existing = {r.panel_id: r for r in _panel_members(survey, ids).select_related("submission")}
    new = [
        Respondent(
            survey=survey,
            token=new_token(),
            panel_id=member.panel_id,
            preferred_language=member.language,
            known=member.known,
            email=member.email or "",
            name=member.name or "",
        )
        for member in members
        if member.panel_id not in existing
    ]
    Respondent.objects.bulk_create(new, batch_size=1000)
    stats.count(survey.pk, invited=len(new))
    for member in members:
        respondent = existing.get(member.panel_id)
        if respondent is None:
            continue
        # Where to reach a member may change at any time; what is known of them only
        # while they have not started.
        fields = {
            name: value
            for name, value in (("email", member.email), ("name", member.name))
            if value is not None
        }
        if not hasattr(respondent, "submission"):
            fields |= {"preferred_language": member.language, "known": member.known}
        changed = [name for name, value in fields.items() if getattr(respondent, name) != value]
        if changed:
            for name in changed:
                setattr(respondent, name, fields[name])
            respondent.save(update_fields=changed)
    by_id = {r.panel_id: r for r in _panel_members(survey, ids)}
    return [by_id[m.panel_id] for m in members], len(new)


def _panel_members(survey: Survey, panel_ids: list[str]):
    """Return the survey's respondents of these panel ids, found by their unique index.

    The index holds non-empty ids only: saying so lets SQLite use it (otherwise every
    batch of an invitation scanned the survey's respondents); no ordering to sort by.
    """
    return (
        Respondent.objects.filter(survey=survey, panel_id__in=panel_ids)
        .exclude(panel_id="")
        .order_by()
    )


@transaction.atomic
def respondent_open(survey: Survey) -> Respondent:
    """Create a respondent for someone arriving through the survey's open link."""
    stats.count(survey.pk, invited=1)
    return Respondent.objects.create(
        survey=survey, token=new_token(), source=Respondent.Source.OPEN
    )


def device_id(user_agent: str, ip: str) -> str:
    """Return the `deviceid` of a browser: a keyed hash of its address and user agent.

    Stable for one browser on one network, naming neither (as Enketo's random id per
    browser does not either).
    """
    digest = salted_hmac("respondents.device", f"{ip}\n{user_agent}", algorithm="sha256")
    return f"web:{digest.hexdigest()[:16]}"


def metadata_answers(questionnaire: Questionnaire, **values: Any) -> dict[str, Any]:
    """Return the questionnaire's metadata answers among `values` (by type: start, end,
    today, deviceid, username), under the variables the form gives them."""
    return {
        question.variable: values[question.type]
        for question in questionnaire.metadata
        if values.get(question.type) not in (None, "")
    }


def moment(value) -> str:
    """Return a metadata time as stored: ISO 8601 to the second, with its offset."""
    return timezone.localtime(value).isoformat(timespec="seconds")


def submission_set_metadata(submission: Submission, answers: Mapping[str, Any]) -> None:
    """Write metadata answers into the submission's answers (one UPDATE)."""
    if not answers:
        return
    submission.answers = {**submission.answers, **answers}
    Submission.objects.filter(pk=submission.pk).update(answers=submission.answers)


def submission_start(
    respondent: Respondent,
    language: str,
    *,
    user_agent: str = "",
    ip: str = "",
    device: str = "",
    username: str | None = None,
    mode: str = Submission.Mode.WEB,
    interviewer=None,
) -> Submission:
    """Start (or return the already started) submission of `respondent`.

    `mode` says how it is answered (web, CAPI, API) and `interviewer` who asked the
    questions face to face, when someone did.

    A respondent whom the panel already places in a full quota cell ends at once as
    over quota, and one whose known answers fail screening as screened out: there is
    no point asking them thirty questions first.

    The form's metadata is filled in as it starts: `start` and `today`, `deviceid`
    (`device`, or a browser's from its address and user agent) and `username` (the
    respondent's panel id unless given).
    """
    survey = respondent.survey
    if language not in survey.languages:
        language = survey.default_language
    fields = {
        "survey": survey,
        "language": language,
        # A header can carry NUL, which PostgreSQL refuses in text.
        "user_agent": CONTROL_CHARACTERS.sub("", user_agent)[:500],
        "ip_hash": ip_hash(ip),
        "is_test": respondent.source == Respondent.Source.TEST,
        "mode": mode,
        "interviewer": interviewer,
    }
    relation = Respondent.submission.related
    try:
        with transaction.atomic():
            if relation.is_cached(respondent) and relation.get_cached_value(respondent) is None:
                # The caller has just read that there is none (the respondent's link
                # does): insert at once, without get_or_create's read and savepoint.
                submission = Submission.objects.create(respondent=respondent, **fields)
                created = True
            else:
                submission, created = Submission.objects.get_or_create(
                    respondent=respondent, defaults=fields
                )
            if created and not submission.is_test:
                stats.count(survey.pk, started=1)
    except IntegrityError:  # a second click raced the first one
        submission, created = Submission.objects.get(respondent=respondent), False
    if created:
        questionnaire = questionnaire_of(survey)
        if questionnaire.metadata:
            submission_set_metadata(
                submission,
                metadata_answers(
                    questionnaire,
                    start=moment(submission.started),
                    today=timezone.localdate(submission.started).isoformat(),
                    deviceid=device or device_id(user_agent, ip),
                    username=respondent.panel_id if username is None else username,
                ),
            )
    if created and full_cell(survey, respondent.known) is not None:
        submission_terminate(submission, Submission.Status.OVER_QUOTA)
        submission.refresh_from_db()
    elif created and screened_out_by(survey, respondent.known):
        # Known answers that fail screening (an age of 16) end the interview at the link.
        submission_terminate(submission, Submission.Status.SCREENED_OUT)
        submission.refresh_from_db()
    return submission


def submission_set_language(submission: Submission, language: str) -> None:
    if language in submission.survey.languages:
        Submission.objects.filter(pk=submission.pk).update(language=language)
        submission.language = language


def submission_show_page(submission: Submission) -> None:
    """Note when a page was shown, to time how long it takes to answer.

    One plain statement on every page shown (the ORM's UPDATE cost more to build than
    to run). On PostgreSQL its commit does not wait for the disk (~0.3 ms a page): the
    time is a measurement, not an answer, and a database crash in the next moment loses
    at most this timestamp, after which the page's time simply counts nothing
    (`submission_save_page`), as in ADR 0011. psycopg2 sends the two statements as one
    message, which PostgreSQL runs as one transaction; inside a caller's transaction the
    setting would apply to all of it, which is why the respondent's view calls this
    outside one.
    """
    now = timezone.now()
    table = Submission._meta.db_table
    asynchronous = (
        "SET LOCAL synchronous_commit TO OFF; " if connection.vendor == "postgresql" else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"{asynchronous}UPDATE {table} SET page_shown = %s WHERE id = %s",
            [plainsql.prepared(Submission, "page_shown", now), submission.pk],
        )
    submission.page_shown = now


def matching_cells(survey: Survey, answers: Mapping[str, Any]) -> list[QuotaCell]:
    """Return the survey's quota cells whose condition the answers meet, in id order.

    Only what deciding needs is read (name, condition, hard or not): every cell is read
    at each completion, and its translated label and counts are not needed to take a
    slot (the guarded UPDATE reads the counts where they are).
    """
    evaluator = Evaluator(answers)
    cells = (
        QuotaCell.objects.filter(survey=survey).order_by("pk").only("name", "condition", "is_hard")
    )
    return [cell for cell in cells if evaluator.holds(cell.condition)]


def full_cell(survey: Survey, answers: Mapping[str, Any]) -> str | None:
    """Return the name of a full hard cell the answers fall into, if there is one.

    Asked after every page: the database picks the full hard cells (usually none), and
    only their conditions are evaluated, instead of every cell read as a model instance.
    "Full" is `QuotaCell.is_full`, written as SQL.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, condition FROM {QuotaCell._meta.db_table} "
            "WHERE survey_id = %s AND is_hard = %s AND target <= confirmed + reserved "
            "ORDER BY id",
            [survey.pk, True],
        )
        full = cursor.fetchall()
    evaluator = Evaluator(answers)
    return next((name for name, condition in full if evaluator.holds(condition)), None)


def submission_save_page(
    submission: Submission,
    questionnaire: Questionnaire,
    page_name: str,
    page_answers: Mapping[str, Any],
    *,
    seconds: float | None = None,
) -> tuple[Submission, flow.Walk]:
    """Store a validated page of answers, then screen the respondent and check quotas.

    Answers to questions that the new answers hide are discarded. Ends the submission
    as screened out, over quota or completed when that is where it now stands. Returns
    the submission as it now stands and the walk of its answers as stored.

    The page's time is what passed since it was shown, or `seconds` when the caller
    knows better (an interview answered elsewhere, a simulated respondent).
    """
    # What the panel knew of the respondent cannot change once they started (panel_invite
    # leaves a started respondent alone), so the copy in hand serves.
    known = submission.respondent.known
    with transaction.atomic():
        # The row lock serialises two saves of one respondent (two tabs): each re-reads
        # what the other stored, so resuming finds every page saved.
        locked = _locked(submission.pk)
        locked.respondent = submission.respondent
        locked.survey = submission.survey
        if not locked.is_open:
            return locked, flow.Walk.of(questionnaire, locked.answers, known)
        stored = flow.page_stored(
            questionnaire, locked.answers, locked.pages_done, page_name, page_answers, known
        )
        answers, walk = stored.answers, stored.walk
        locked.pages_done = stored.pages_done
        if seconds is None and locked.page_shown:
            seconds = (timezone.now() - locked.page_shown).total_seconds()
        if seconds is not None:
            locked.page_seconds = {
                **locked.page_seconds,
                page_name: round(locked.page_seconds.get(page_name, 0) + seconds, 1),
            }
        locked.answers = answers
        locked.page_shown = None
        _store_page(locked)

    ending = submission_ending(
        locked.survey, questionnaire.page(page_name), answers, known, walk, locked.pages_done
    )
    if ending == Submission.Status.COMPLETED:
        return submission_complete(locked), walk
    if ending is not None:
        return _terminated(locked, ending), walk
    return locked, walk


def submission_ending(
    survey: Survey,
    page: Page | None,
    answers: Mapping[str, Any],
    known: Mapping[str, Any],
    walk: flow.Walk,
    pages_done: list[str],
) -> str | None:
    """Return how a sitting ends once `page` is stored, or None when it goes on.

    Screened out when the page's screening fails, over quota when the answers (with what
    the panel knew) fall into a full hard cell (a read: nothing is reserved here),
    completed when no shown page waits for answers. Every mode decides it here: a
    submission (`submission_save_page`) and a preview (`respondents.preview`).
    """
    if page is not None and not is_eligible(page, answers):
        return Submission.Status.SCREENED_OUT
    if full_cell(survey, {**known, **answers}) is not None:
        return Submission.Status.OVER_QUOTA
    if walk.resume(pages_done) is None:
        return Submission.Status.COMPLETED
    return None


def _locked(submission_id: int) -> Submission:
    """Read a submission and lock its row until the transaction ends.

    `select_for_update().get()` in one plain statement: on every page saved, building it
    with the ORM cost more than running it (fieldwork.plainsql). SQLite has no row locks
    (nor does the ORM ask it for them): it lets one writer at a time commit.
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {plainsql.columns(Submission, 's')} FROM {Submission._meta.db_table} s "
            f"WHERE s.id = %s{lock}",
            [submission_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise Submission.DoesNotExist(f"submission {submission_id} does not exist")
    return plainsql.instance(Submission, row)


def _store_page(submission: Submission) -> None:
    """Write what saving a page changes: `save(update_fields=...)` as one plain UPDATE."""
    names = ("answers", "pages_done", "page_seconds", "page_shown")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Submission._meta.db_table} SET "
            + ", ".join(f"{name} = %s" for name in names)
            + " WHERE id = %s",
            [
                *(plainsql.prepared(Submission, name, getattr(submission, name)) for name in names),
                submission.pk,
            ],
        )


def _terminated(submission: Submission, status: str) -> Submission:
    """End the submission as `status`; return it as it now stands."""
    if not submission_terminate(submission, status):
        submission.refresh_from_db()  # ended meanwhile by another request: read how
    return submission


def is_eligible(page: Page, answers: Mapping[str, Any]) -> bool:
    """Return whether the page's screening questions let the respondent go on."""
    evaluator = Evaluator(answers)
    return all(
        evaluator.holds(question.screening, current=answers[question.variable])
        for question in page.questions
        if question.screening and question.variable in answers
    )


@transaction.atomic
def submission_terminate(submission: Submission, status: str) -> bool:
    """End an open submission as screened out or over quota; return whether it did.

    When it did, `submission` holds the new status and end time as stored.
    """
    now = timezone.now()
    ended = Submission.objects.filter(
        pk=submission.pk, status=Submission.Status.IN_PROGRESS
    ).update(status=status, ended=now)
    if ended:
        submission.status, submission.ended = status, now
        if not submission.is_test:
            stats.count(submission.survey_id, **{status: 1})
        if status == Submission.Status.OVER_QUOTA:
            announcements.announce(submission, status)
    return bool(ended)


class _CellFull(Exception):
    pass


def submission_complete(submission: Submission) -> Submission:
    """Complete a submission and reserve its slot in every quota cell it falls into.

    Both happen in one transaction. A hard cell's slot is taken by a guarded UPDATE
    whose row count decides, so two respondents finishing at once can never both take
    the last slot, whatever the number of web processes. When a cell is full the
    submission is stored as over quota and holds no slot anywhere. Completing a
    submission that has already ended changes nothing.
    """
    with transaction.atomic():
        # Lock the submission only: locking its survey too (a join would) serialises
        # every completion and deadlocks against validations, whose inserts of
        # per-survey counts take a key-share lock on the survey row.
        locked = _locked(submission.pk)
        # The respondent (what the panel knew of them is fixed once they started) and
        # the survey the caller holds serve; otherwise they are read when needed.
        for relation in (Submission.respondent.field, Submission.survey.field):
            if relation.is_cached(submission):
                relation.set_cached_value(locked, relation.get_cached_value(submission))
        if not locked.is_open:
            return locked
        answers = {**locked.respondent.known, **locked.answers}
        status = Submission.Status.COMPLETED
        if locked.is_test:
            # A test meets the quotas as a respondent would, but takes no place: a full
            # hard cell ends it over quota, an open one is left as it was (ADR 0026).
            full = full_cell(locked.survey, answers)
            if full is not None:
                logger.info("test submission %s is over quota in %s", locked.pk, full)
                status = Submission.Status.OVER_QUOTA
        else:
            try:
                _reserve_slots(locked, answers)
            except _CellFull as full:
                logger.info("submission %s is over quota in %s", locked.pk, full)
                status = Submission.Status.OVER_QUOTA
        locked.status = status
        locked.ended = timezone.now()
        locked.seconds = round(sum(locked.page_seconds.values()), 1)
        fields = ["status", "ended", "seconds"]
        end = metadata_answers(questionnaire_of(locked.survey), end=moment(locked.ended))
        if end:
            locked.answers = {**locked.answers, **end}
            fields.append("answers")
        locked.save(update_fields=fields)
        if status == Submission.Status.COMPLETED:
            if not locked.is_test:
                stats.count(locked.survey_id, completed=1, seconds_total=locked.seconds)
                stats.count_day(locked.survey_id, timezone.localdate(locked.ended), completed=1)
            # Only once the completion is committed may a worker look at it.
            transaction.on_commit(partial(enqueue_validation, locked.pk))
        else:
            if not locked.is_test:
                stats.count(locked.survey_id, over_quota=1)
            announcements.announce(locked, status)
    return locked


def _reserve_slots(submission: Submission, answers: Mapping[str, Any]) -> None:
    """Take a slot in every cell the answers fall into, or none at all (_CellFull)."""
    with transaction.atomic():
        for cell in matching_cells(submission.survey, answers):
            cells = QuotaCell.objects.filter(pk=cell.pk)
            if cell.is_hard:
                cells = cells.filter(reserved__lt=F("target") - F("confirmed"))
            if not cells.update(reserved=F("reserved") + 1):
                raise _CellFull(cell.name)
            QuotaSlot.objects.create(submission=submission, cell=cell)
