"""The fieldwork schedule: when a survey takes answers, and the writes that change it.

A live survey takes answers from its `fieldwork_start` to its `fieldwork_end` (both
days included, in the project's time zone) unless a field manager paused it. The phase
is worked out from the survey's row in hand, without a query, so every respondent page
can ask. Celery beat closes a survey once its end date has gone (`surveys_close_ended`),
but links already refuse from the first day after the end, beat or not.

Every status change goes through `surveys.services.survey_set_status`, which writes
the audit entry.
"""

from __future__ import annotations

import datetime
import enum

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit import services as audit
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.services import survey_set_status

SCHEDULE = "schedule"  # the audit log's actor for what beat does


class Phase(enum.StrEnum):
    DRAFT = "draft"  # not published: only test links answer
    NOT_OPEN = "not_open"  # live, before its first day
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"  # closed, or live past its last day


def phase(survey: Survey, today: datetime.date | None = None) -> Phase:
    """Return where `survey` stands in its fieldwork today."""
    if survey.status == Survey.Status.DRAFT:
        return Phase.DRAFT
    if survey.status == Survey.Status.CLOSED:
        return Phase.CLOSED
    today = today or timezone.localdate()
    if survey.fieldwork_end and today > survey.fieldwork_end:
        return Phase.CLOSED
    if survey.status == Survey.Status.PAUSED:
        return Phase.PAUSED
    if survey.fieldwork_start and today < survey.fieldwork_start:
        return Phase.NOT_OPEN
    return Phase.OPEN


def takes_answers(survey: Survey, *, test: bool = False, today: datetime.date | None = None):
    """Return whether a respondent (a test link when `test`) may answer `survey` now.

    A test link answers a draft, before the start and during a pause: testing is what
    comes before fieldwork. Nobody answers a closed survey: its answers are read-only.
    """
    current = phase(survey, today)
    if test:
        return current != Phase.CLOSED
    return current == Phase.OPEN


def refusal(survey: Survey, today: datetime.date | None = None) -> str:
    """Say, in the active language, why `survey` takes no answers now ("" if it does)."""
    current = phase(survey, today)
    if current == Phase.NOT_OPEN:
        return _("The survey opens on %(date)s.") % {
            "date": formats.date_format(survey.fieldwork_start, "DATE_FORMAT")
        }
    if current == Phase.PAUSED:
        return _("Fieldwork is paused; the survey takes no answers until it resumes.")
    if current == Phase.CLOSED:
        return _("The survey is closed: its answers can no longer change.")
    if current == Phase.DRAFT:
        return _("The survey is not published yet.")
    return ""


def fieldwork_pause(survey: Survey, *, user=None) -> Survey:
    """Stop a live survey from taking answers until `fieldwork_resume`."""
    if survey.status != Survey.Status.LIVE or phase(survey) == Phase.CLOSED:
        raise SurveyError([_("Only a live survey can be paused.")])
    return survey_set_status(survey, Survey.Status.PAUSED, user=user)


def fieldwork_resume(survey: Survey, *, user=None) -> Survey:
    """Let a paused survey take answers again."""
    if survey.status != Survey.Status.PAUSED:
        raise SurveyError([_("Only a paused survey can be resumed.")])
    if phase(survey) == Phase.CLOSED:
        raise SurveyError([_("Its fieldwork has ended: extend the end date first.")])
    return survey_set_status(survey, Survey.Status.LIVE, user=user)


def fieldwork_extend(
    survey: Survey, end: datetime.date, reason: str, *, user=None, request=None
) -> Survey:
    """Move the survey's last day of fieldwork later, with a reason for the audit log.

    A survey closed because its end date had gone (not because its target was reached)
    is live again with its new end date.
    """
    reason = reason.strip()
    errors = []
    if not reason:
        errors.append(_("Give a reason for the new end date."))
    if survey.status == Survey.Status.DRAFT:
        errors.append(_("A draft has no fieldwork to extend: set its dates in the questionnaire."))
    if survey.fieldwork_end and end <= survey.fieldwork_end:
        errors.append(
            _("The new end date must be after %(date)s.")
            % {"date": formats.date_format(survey.fieldwork_end, "DATE_FORMAT")}
        )
    if end < timezone.localdate():
        errors.append(_("The new end date has already gone."))
    if survey.fieldwork_start and end < survey.fieldwork_start:
        errors.append(_("The new end date is before the start of fieldwork."))
    reopen = survey.status == Survey.Status.CLOSED
    if reopen and not _closed_by_date(survey):
        errors.append(
            _(
                "The survey closed before its end date (its sample target was reached, or "
                "it was closed by hand): extending it would not reopen it."
            )
        )
    if errors:
        raise SurveyError(errors)
    with transaction.atomic():
        previous = survey.fieldwork_end
        Survey.objects.filter(pk=survey.pk).update(fieldwork_end=end, updated=timezone.now())
        survey.fieldwork_end = end
        audit.record(
            audit.Action.FIELDWORK_DATES,
            user=user,
            request=request,
            survey=survey,
            target=survey.slug,
            details={
                "fieldwork_end": {
                    "from": previous.isoformat() if previous else None,
                    "to": end.isoformat(),
                },
                "reason": reason,
            },
        )
        if reopen:
            survey_set_status(survey, Survey.Status.LIVE, user=user)
    return survey


def _closed_by_date(survey: Survey) -> bool:
    """Whether a closed survey's last day has gone: then its date is what closed it.

    One that closed while its dates still ran closed at its sample target or by hand,
    and a later end date would not reopen it.
    """
    return bool(survey.fieldwork_end) and survey.fieldwork_end < timezone.localdate()


def surveys_close_ended(today: datetime.date | None = None) -> list[str]:
    """Close every live or paused survey whose last day has gone; return their slugs.

    Idempotent: a survey already closed is not touched again, and two runs at once
    close each survey once (the status change is a guarded UPDATE).
    """
    today = today or timezone.localdate()
    closed = []
    due = Survey.objects.filter(
        status__in=[Survey.Status.LIVE, Survey.Status.PAUSED], fieldwork_end__lt=today
    ).order_by("pk")
    for survey in due:
        survey_set_status(survey, Survey.Status.CLOSED, actor=SCHEDULE)
        closed.append(survey.slug)
    return closed
