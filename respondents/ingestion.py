"""Submissions collected elsewhere (an interviewer's tablet offline), stored as if answered here.

The answers document is walked page by page the way a respondent walks the web form: the
flow decides which page comes next, the page form validates that page's answers, and
`submission_save_page` and `submission_complete` screen, check quotas, complete with quota
reservation and enqueue validation once the transaction commits. Nothing is stored unless
every page passes: the whole walk is one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from respondents import flow, pages, services
from respondents.forms import MAX_ENTRIES, entry_name
from respondents.models import Respondent, Submission
from respondents.panel import PanelMember
from surveys import schedule
from surveys.models import Survey
from surveys.questionnaire import Page, Question, Questionnaire, Type, questionnaire_of

# How far in the future an interview's end may lie: a tablet's clock may run fast.
CLOCK_SKEW = datetime.timedelta(minutes=10)
STRING_TYPES = (
    Type.SINGLE,
    Type.GRID,
    Type.TEXT,
    Type.LONG_TEXT,
    Type.DATE,
    Type.TIME,
    Type.DATETIME,
)


@dataclass(frozen=True)
class Interview:
    """One questionnaire answered elsewhere: answers by variable name, and its times."""

    language: str
    answers: Mapping[str, Any]
    panel_id: str = ""
    started: datetime.datetime | None = None
    ended: datetime.datetime | None = None
    collected_by: str = ""
    # The form's metadata: the device it was collected on, who collected it.
    device_id: str = ""
    username: str = ""
    mode: str = Submission.Mode.API
    interviewer: Any = None  # the User who interviewed, face to face (CAPI)


@dataclass
class IngestionError(Exception):
    """The interview cannot be stored: `errors` maps each field (`answers.age`) to why.

    `conflict` is set when the request is well formed but clashes with what is stored
    (a panel id that already has a submission, a survey that is not live).
    """

    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict: bool = False

    def __str__(self) -> str:
        return "; ".join(f"{name}: {' '.join(why)}" for name, why in self.errors.items())


def json_type(value: Any) -> str:
    """Return the JSON name of a value's type, as a client developer thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def answer_type_error(question: Question, value: Any) -> str | None:
    """Return why `value` cannot answer `question` by its JSON type alone, or None."""
    if value is None:
        return None
    got = json_type(value)
    if question.server_filled:
        return _("is filled by the server (%(type)s); leave it out") % {"type": question.type}
    if question.children:
        if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
            return _("expected an array of entries (objects of answers), got %(got)s") % {
                "got": got
            }
        return None
    if question.type in STRING_TYPES:
        if not isinstance(value, str):
            return _("expected a string, got %(got)s") % {"got": got}
    elif question.type == Type.MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return _("expected an array of strings (choice values), got %(got)s") % {"got": got}
    elif question.type == Type.INTEGER and got != "integer":
        return _("expected an integer, got %(got)s") % {"got": got}
    elif question.type == Type.DECIMAL and got not in ("integer", "number", "string"):
        return _("expected a number, got %(got)s") % {"got": got}
    return None


def _is_given(value: Any) -> bool:
    return value is not None and str(value).strip() not in ("", "[]")


def _form_data(page: Page, answers: Mapping[str, Any], known: Mapping[str, Any]) -> MultiValueDict:
    """Return the page's answers as the web form would post them."""
    data = MultiValueDict()
    for question in page.questions:
        if question.children:
            entries = answers.get(question.variable) or []
            data.setlist(question.variable, [str(position) for position in range(len(entries))])
            for position, entry in enumerate(entries):
                for child in question.children:
                    value = entry.get(child.variable)
                    name = entry_name(question, position, child)
                    if isinstance(value, list):
                        data.setlist(name, [str(item) for item in value])
                    elif value is not None:
                        data[name] = str(value)
            continue
        for name in question.answer_names:
            value = answers.get(name, known.get(name))
            if value is None:
                continue
            if isinstance(value, list):
                data.setlist(name, [str(item) for item in value])
            else:
                data[name] = str(value)
    return data


def _check_document(
    survey: Survey, questionnaire: Questionnaire, interview: Interview
) -> dict[str, list[str]]:
    """Return what is wrong with the interview before any page is walked."""
    errors: dict[str, list[str]] = {}
    if interview.language not in survey.languages:
        errors["language"] = [
            _("'%(code)s' is not a language of survey '%(slug)s'; use one of: %(codes)s")
            % {
                "code": interview.language,
                "slug": survey.slug,
                "codes": ", ".join(survey.languages),
            }
        ]
    if interview.ended and not interview.started:
        errors["started"] = [_("is needed when ended is given, to know the interview's length")]
    if interview.started and interview.ended and interview.ended < interview.started:
        errors["ended"] = [_("is before started")]
    for name in ("started", "ended"):
        moment = getattr(interview, name)
        if moment and moment > timezone.now() + CLOCK_SKEW:
            errors[name] = [_("is in the future")]
    for name, value in interview.answers.items():
        question = questionnaire.question_of(name)
        if question is None:
            errors[f"answers.{name}"] = [
                _("survey '%(slug)s' has no question with this variable name")
                % {"slug": survey.slug}
            ]
            continue
        wrong = answer_type_error(question, value)
        if wrong:
            errors[f"answers.{name}"] = [wrong]
        elif question.children:
            errors.update(_check_entries(survey, question, value))
    return errors


def _check_entries(survey: Survey, repeat: Question, entries: list) -> dict[str, list[str]]:
    """Return what is wrong with a repeat's entries by their names and JSON types alone."""
    errors: dict[str, list[str]] = {}
    if len(entries) > MAX_ENTRIES:
        errors[f"answers.{repeat.variable}"] = [
            _("holds %(n)d entries; at most %(max)d") % {"n": len(entries), "max": MAX_ENTRIES}
        ]
    for position, entry in enumerate(entries):
        for name, value in entry.items():
            where = f"answers.{entry_name(repeat, position, None)}{name}"
            child = repeat.child(name)
            if child is None:
                errors[where] = [
                    _("the repeat '%(repeat)s' has no question with this variable name")
                    % {"repeat": repeat.variable}
                ]
                continue
            wrong = answer_type_error(child, value)
            if wrong:
                errors[where] = [wrong]
    return errors


def _respondent(survey: Survey, interview: Interview) -> Respondent:
    """Return a new respondent, or the invited panel member the interview is with."""
    if not interview.panel_id:
        return services.respondent_open(survey)
    # An invited member keeps what the panel knew of them (inviting again would clear it).
    if not Respondent.objects.filter(survey=survey, panel_id=interview.panel_id).exists():
        try:
            with transaction.atomic():
                services.panel_invite(survey, [PanelMember(interview.panel_id, interview.language)])
        except IntegrityError:  # the same panel id arrived twice at once: the lock decides
            pass
    # Locked until this transaction ends, so two interviews with one panel id cannot both
    # start a submission for it.
    respondent = Respondent.objects.select_for_update().get(
        survey=survey, panel_id=interview.panel_id
    )
    other = Submission.objects.filter(respondent=respondent).first()
    if other is not None:
        raise IngestionError(
            {
                "panel_id": [
                    _("panel id '%(id)s' already has submission %(pk)s in this survey")
                    % {"id": interview.panel_id, "pk": other.pk}
                ]
            },
            conflict=True,
        )
    return respondent


def submission_ingest(survey: Survey, interview: Interview) -> Submission:
    """Store an interview answered elsewhere through the respondents' own services.

    Returns the ended submission: completed (with its quota slots reserved and its
    validation enqueued on commit), screened out or over quota, as a respondent answering
    the same on the web would have ended. Raises IngestionError naming every field that
    is wrong (unknown variable, wrong type, unknown choice, out of range, hidden by skip
    logic, missing required answer), and then stores nothing.
    """
    if not schedule.takes_answers(survey):
        why = schedule.refusal(survey)
        raise IngestionError(
            {
                "survey": [
                    _("survey '%(slug)s' is %(status)s: it takes submissions only while live")
                    % {"slug": survey.slug, "status": survey.status}
                    + (f" ({why})" if survey.status != Survey.Status.DRAFT else "")
                ]
            },
            conflict=True,
        )
    questionnaire = questionnaire_of(survey)
    errors = _check_document(survey, questionnaire, interview)
    if errors:
        raise IngestionError(errors)
    answers = dict(interview.answers)
    with transaction.atomic():
        respondent = _respondent(survey, interview)
        known = respondent.known
        submission = services.submission_start(
            respondent,
            interview.language,
            user_agent=interview.collected_by,
            device=interview.device_id or interview.collected_by,
            username=interview.username,
            mode=interview.mode,
            interviewer=interview.interviewer,
        )
        if interview.started:
            Submission.objects.filter(pk=submission.pk).update(started=interview.started)
            services.submission_set_metadata(
                submission,
                services.metadata_answers(
                    questionnaire,
                    start=services.moment(interview.started),
                    today=timezone.localdate(interview.started).isoformat(),
                ),
            )
        per_page = _seconds_per_page(questionnaire, interview, answers, known)
        submission, outcomes = pages.submission_answer_pages(
            submission,
            questionnaire,
            lambda _submission, page: (_form_data(page, answers, known), per_page),
        )
        for outcome in outcomes:
            # The page submitted is the form's (the outcome's page is where to go next).
            form = outcome.form
            for name, messages in form.errors.items():
                errors["answers" if name == "__all__" else f"answers.{name}"] = list(messages)
            # An answer the page form dropped was to a question hidden by skip logic.
            for question in form.page.questions:
                for name in question.answer_names:
                    given = _is_given(answers.get(name))
                    if given and name not in form.page_answers and name not in form.errors:
                        errors[f"answers.{name}"] = [_hidden_message(question, form.page)]
        if errors:
            raise IngestionError(errors)
        # An answer to a question the walk never showed was hidden by skip logic (unless
        # the interview ended before reaching it, by screening or a full quota cell).
        walked = [questionnaire.pages.index(outcome.form.page) for outcome in outcomes]
        reached = (
            len(questionnaire.pages)
            if submission.status == Submission.Status.COMPLETED
            else max(walked, default=-1)
        )
        stored = set(submission.answers)
        for name, value in answers.items():
            if (
                _is_given(value)
                and name not in stored
                and questionnaire.page_index_of(name) <= reached
            ):
                page = questionnaire.pages[questionnaire.page_index_of(name)]
                errors[f"answers.{name}"] = [_hidden_message(questionnaire.question_of(name), page)]
        if errors:
            raise IngestionError(errors)
        if interview.ended and submission.status == Submission.Status.COMPLETED:
            services.submission_set_metadata(
                submission,
                services.metadata_answers(questionnaire, end=services.moment(interview.ended)),
            )
    submission.refresh_from_db()
    return submission


def _hidden_message(question: Question, page: Page) -> str:
    condition = question.relevant or page.relevant
    if not condition:
        return _("is not asked given the other answers (its page is not shown); leave it out")
    return _(
        "is not asked given the other answers (skip logic: %(condition)s is false); leave it out"
    ) % {"condition": condition}


def _seconds_per_page(
    questionnaire: Questionnaire,
    interview: Interview,
    answers: Mapping[str, Any],
    known: Mapping[str, Any],
) -> float | None:
    """Return the interview's length spread over the pages it shows, to time its pages.

    The interview length (the sum of page times) is what the speeder rule judges, so it
    must come from the interview's own start and end, not from when it was uploaded.
    """
    if not (interview.started and interview.ended):
        return None
    shown = flow.Walk.of(
        questionnaire, flow.discard_hidden(questionnaire, answers, known), known
    ).shown
    return (interview.ended - interview.started).total_seconds() / max(len(shown), 1)
