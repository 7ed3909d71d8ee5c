"""Waves of one study: a survey copied as a draft for its next round of fieldwork.

A copy holds the same questionnaire, languages, quota cells (targets, not counts) and
weighting scheme (margins, not results) under a new slug; nothing collected comes along,
and its fieldwork dates are left for the new wave to set. The copies share the study's
name (`Survey.study`, the first wave's slug unless named), numbered by `wave`.

What apps above `surveys` keep of a survey comes along as they decide: each registers
here, in its `AppConfig.ready`, a function called with the source and the copy inside
the copy's transaction (the e-mail templates and sending schedule, in `mailings`; who is
assigned to the survey, in `reports`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from audit import services as audit
from surveys.errors import SurveyError
from surveys.models import Survey, WeightingMargin, WeightingScheme, WeightingTarget
from surveys.selectors import survey_definition
from surveys.services import QuotaCellSpec, quota_cells_define, survey_apply_definition

CopyHook = Callable[[Survey, Survey], None]
_HOOKS: list[CopyHook] = []


def register(hook: CopyHook) -> None:
    """Call `hook(source, copy)` on every copy; registering it twice adds it once."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


@transaction.atomic
def survey_copy(source: Survey, slug: str, *, user=None) -> Survey:
    """Copy `source` as a draft named `slug`, the next wave of its study."""
    if Survey.objects.filter(slug=slug).exists():
        raise SurveyError([_("A survey with the slug '%(slug)s' exists already.") % {"slug": slug}])
    source = Survey.objects.select_for_update().get(pk=source.pk)
    if not source.study:
        source.study = source.slug
        Survey.objects.filter(pk=source.pk).update(study=source.study)
    definition = survey_definition(source)
    # A new wave sets its own fieldwork dates.
    definition = replace(definition, fieldwork_start=None, fieldwork_end=None)
    survey, _created, _changed = survey_apply_definition(slug, definition, user=user)
    last = Survey.objects.filter(study=source.study).aggregate(last=Max("wave"))["last"] or 1
    Survey.objects.filter(pk=survey.pk).update(
        study=source.study,
        wave=last + 1,
        copied_from=source,
        speeder_fraction=source.speeder_fraction,
    )
    quota_cells_define(
        survey,
        [
            QuotaCellSpec(cell.name, dict(cell.label), cell.condition, cell.target, cell.is_hard)
            for cell in source.quota_cells.order_by("position", "name")
        ],
    )
    _copy_weighting(source, survey)
    for hook in _HOOKS:
        hook(source, survey)
    # The copy's questionnaire starts its own count of versions.
    Survey.objects.filter(pk=survey.pk).update(questionnaire_version=1)
    survey.refresh_from_db()
    audit.record(
        audit.Action.QUESTIONNAIRE_IMPORT,
        user=user,
        survey=survey,
        target=slug,
        details={"copied_from": source.slug, "study": survey.study, "wave": survey.wave},
    )
    return survey


def _copy_weighting(source: Survey, survey: Survey) -> None:
    scheme = WeightingScheme.objects.filter(survey=source).first()
    if scheme is None:
        return
    copy = WeightingScheme.objects.create(
        survey=survey,
        trim_low=scheme.trim_low,
        trim_high=scheme.trim_high,
        tolerance=scheme.tolerance,
        max_iterations=scheme.max_iterations,
    )
    for margin in scheme.margins.order_by("position", "variable"):
        copied = WeightingMargin.objects.create(
            scheme=copy, position=margin.position, variable=margin.variable
        )
        WeightingTarget.objects.bulk_create(
            WeightingTarget(margin=copied, category=t.category, population=t.population)
            for t in margin.targets.order_by("pk")
        )


def study_waves(survey: Survey) -> QuerySet[Survey]:
    """Return the waves of `survey`'s study in order (itself alone when it has none)."""
    if not survey.study:
        return Survey.objects.filter(pk=survey.pk)
    return Survey.objects.filter(study=survey.study).order_by("wave", "created")
