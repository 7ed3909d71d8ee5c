"""Quota targets changed during fieldwork: each with a reason, in the audit log.

A cell's target is read where a place is taken (the guarded UPDATE of
`respondents.services.submission_complete` and the full-cell check compare it in the
database), never from a copy kept per questionnaire version, so changing it does not move
the questionnaire version. The sample target does: quality control keeps the survey's row
per version and closes the survey at its target (`survey_set_sample_target`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from audit import services as audit
from surveys import schedule
from surveys.errors import SurveyError
from surveys.models import QuotaCell, Survey
from surveys.services import survey_set_sample_target

# A target above this is a typing mistake, not a design (the whole study is 2,026).
MAX_TARGET = 1_000_000


@dataclass(frozen=True)
class TargetChange:
    name: str  # a cell's name, or "" for the sample target
    before: int
    after: int


def quota_targets_set(
    survey: Survey,
    targets: Mapping[str, int],
    reason: str,
    *,
    sample_target: int | None = None,
    user=None,
    request=None,
) -> list[TargetChange]:
    """Set the targets of `survey`'s cells (by name) and its sample target, with a reason.

    All or nothing; each target that moves gets an audit entry with the old and new
    value and the reason. A target below what a cell already holds leaves every place
    taken where it is: the cell is then full. Refused on a closed survey, whose figures
    are final.
    """
    reason = reason.strip()
    errors = []
    if not reason:
        errors.append(_("Give a reason for the change."))
    if schedule.phase(survey) == schedule.Phase.CLOSED:
        errors.append(_("The survey is closed: its targets can no longer change."))
    wanted = dict(targets)
    if sample_target is not None:
        wanted[""] = sample_target
    for name, value in wanted.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TARGET:
            errors.append(
                _("%(cell)s: a target is a whole number from 0 to %(most)d.")
                % {"cell": name or _("sample target"), "most": MAX_TARGET}
            )
    if errors:
        raise SurveyError(errors)
    with transaction.atomic():
        # In id order, as every completion takes them (ADR 0005).
        cells = {
            cell.name: cell
            for cell in QuotaCell.objects.select_for_update()
            .filter(survey=survey)
            .order_by("pk")
            .only("pk", "name", "target", "survey_id")
        }
        unknown = sorted(set(targets) - set(cells))
        if unknown:
            message = _("%(cell)s is not a quota cell of this survey.")
            raise SurveyError([message % {"cell": name} for name in unknown])
        changes = []
        for name, value in targets.items():
            cell = cells[name]
            if cell.target == value:
                continue
            changes.append(TargetChange(name, cell.target, value))
            QuotaCell.objects.filter(pk=cell.pk).update(target=value)
            audit.record(
                audit.Action.QUOTA_TARGET,
                user=user,
                request=request,
                survey=survey,
                target=f"quota cell {name}",
                details={"target": {"from": cell.target, "to": value}, "reason": reason},
            )
        if sample_target is not None and sample_target != survey.sample_target:
            changes.append(TargetChange("", survey.sample_target, sample_target))
            survey_set_sample_target(
                survey, sample_target, user=user, reason=reason, request=request
            )
    return changes
