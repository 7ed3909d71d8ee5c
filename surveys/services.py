"""Writes to questionnaires: import, status changes and quota design.

Every write that the admin, the management commands and (later) the API make goes
through one of these functions, so each rule is enforced in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit import services as audit
from surveys.changes import Change, definition_changes
from surveys.definition import ChoiceListDef, PageDef, QuestionDef, SurveyDefinition
from surveys.errors import SurveyError
from surveys.models import Choice, ChoiceList, GridRow, Page, Question, QuotaCell, Survey
from surveys.preflight import survey_preflight
from surveys.quotas import allocate_largest_remainder, condition_errors
from surveys.selectors import survey_definition
from surveys.xlsform.reader import read_xlsform

# Positions are unique per survey; during an update every row first moves above this
# offset so that reordering never collides with a row that has not moved yet.
_REORDER_OFFSET = 1_000_000
# Rows per statement when choices are written in bulk (SQLite allows 32,766 parameters).
BULK_BATCH = 1000


@dataclass
class ImportResult:
    survey: Survey
    created: bool
    changed: bool
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What the import changed in the survey's questionnaire (none when created).
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class QuotaCellSpec:
    name: str
    label: dict[str, str]
    condition: str
    target: int
    is_hard: bool = True


def survey_import_xlsform(
    path: str | Path, slug: str, *, skip_unsupported: bool = False, user=None
) -> ImportResult:
    """Import the XLSForm at `path` as survey `slug`, creating it or updating its draft."""
    try:
        validate_slug(slug)
    except ValidationError:
        raise SurveyError(
            [f"'{slug}' is not a valid slug: use letters, digits, '-' and '_'"]
        ) from None
    read = read_xlsform(path, skip_unsupported=skip_unsupported)
    with transaction.atomic():
        existing = Survey.objects.select_for_update().filter(slug=slug).first()
        before = survey_definition(existing) if existing is not None else None
        survey, created, changed = survey_apply_definition(slug, read.definition, user=user)
    changes = definition_changes(before, read.definition) if before and changed else []
    return ImportResult(survey, created, changed, read.skipped, read.notes, changes)


@transaction.atomic
def survey_apply_definition(
    slug: str, definition: SurveyDefinition, *, user=None
) -> tuple[Survey, bool, bool]:
    """Make survey `slug` hold `definition`; return (survey, created, changed).

    Applying the definition a survey already holds writes nothing. Only a draft can
    change: once a survey is live its answers depend on its questions.
    """
    survey = Survey.objects.select_for_update().filter(slug=slug).first()
    created = survey is None
    if survey is not None:
        if survey_definition(survey) == definition:
            return survey, False, False
        if survey.status != Survey.Status.DRAFT:
            raise SurveyError(
                [
                    f"survey '{slug}' is {survey.get_status_display().lower()}: its "
                    "questionnaire can no longer change. Import it under a new slug."
                ]
            )
    else:
        survey = Survey(slug=slug)
    survey.title = definition.title
    survey.languages = list(definition.languages)
    survey.default_language = definition.default_language
    survey.version = definition.version
    survey.sample_target = definition.sample_target
    survey.fieldwork_start = definition.fieldwork_start
    survey.fieldwork_end = definition.fieldwork_end
    survey.estimated_minutes = definition.estimated_minutes
    survey.consent = dict(definition.consent)
    try:
        survey.full_clean(exclude=None if created else ["slug"])
    except ValidationError as exc:
        raise SurveyError(
            [f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()]
        ) from None
    survey.save()

    Page.objects.filter(survey=survey).update(position=F("position") + _REORDER_OFFSET)
    Question.objects.filter(survey=survey).update(position=F("position") + _REORDER_OFFSET)
    lists = _apply_choice_lists(survey, definition.choice_lists)
    keep_questions: list[int] = []
    position = 0
    for page_position, page_definition in enumerate(definition.pages):
        page = _apply_page(survey, page_position, page_definition)
        for question_definition in page_definition.questions:
            question = _apply_question(survey, page, position, question_definition, lists)
            keep_questions.append(question.pk)
            position += 1
            for child in question_definition.children:
                inner = _apply_question(survey, page, position, child, lists, repeat=question)
                keep_questions.append(inner.pk)
                position += 1
    Question.objects.filter(survey=survey).exclude(pk__in=keep_questions).delete()
    Page.objects.filter(survey=survey).exclude(
        name__in=[page.name for page in definition.pages]
    ).delete()
    ChoiceList.objects.filter(survey=survey).exclude(name__in=list(lists)).delete()
    _check_quota_conditions(survey, definition)
    survey_questionnaire_changed(survey)
    audit.record(
        audit.Action.QUESTIONNAIRE_IMPORT,
        user=user,
        survey=survey,
        target=slug,
        details={"created": created, "version": survey.version},
    )
    return survey, created, True


def _apply_choice_lists(
    survey: Survey, definitions: Iterable[ChoiceListDef]
) -> dict[str, ChoiceList]:
    """Make each list hold its choices, in a few statements per list whatever its length.

    Choices are written in bulk (a list may hold thousands): those that left the list
    are deleted, those whose position or label changed updated, the new ones inserted.
    """
    lists = {}
    for list_definition in definitions:
        choice_list, _ = ChoiceList.objects.get_or_create(survey=survey, name=list_definition.name)
        wanted = {choice.value for choice in list_definition.choices}
        existing, gone = {}, []
        for choice in Choice.objects.filter(choice_list=choice_list).only(
            "pk", "value", "position", "label", "filters"
        ):
            if choice.value in wanted:
                existing[choice.value] = choice
            else:
                gone.append(choice.pk)
        for start in range(0, len(gone), BULK_BATCH):
            Choice.objects.filter(pk__in=gone[start : start + BULK_BATCH]).delete()
        changed, new = [], []
        for position, definition in enumerate(list_definition.choices):
            choice = existing.get(definition.value)
            if choice is None:
                new.append(
                    Choice(
                        choice_list=choice_list,
                        value=definition.value,
                        position=position,
                        label=definition.label,
                        filters=list(definition.filters),
                    )
                )
            elif (choice.position, choice.label, choice.filters) != (
                position,
                definition.label,
                list(definition.filters),
            ):
                choice.position, choice.label = position, definition.label
                choice.filters = list(definition.filters)
                changed.append(choice)
        Choice.objects.bulk_update(changed, ["position", "label", "filters"], batch_size=BULK_BATCH)
        Choice.objects.bulk_create(new, batch_size=BULK_BATCH)
        lists[list_definition.name] = choice_list
    return lists


def _apply_page(survey: Survey, position: int, definition: PageDef) -> Page:
    page, _ = Page.objects.update_or_create(
        survey=survey,
        name=definition.name,
        defaults={"position": position, "title": definition.title, "relevant": definition.relevant},
    )
    return page


def _apply_question(
    survey: Survey,
    page: Page,
    position: int,
    definition: QuestionDef,
    lists: Mapping[str, ChoiceList],
    *,
    repeat: Question | None = None,
) -> Question:
    question, _ = Question.objects.update_or_create(
        survey=survey,
        variable=definition.variable,
        defaults={
            "page": page,
            "repeat": repeat,
            "calculation": definition.calculation,
            "choice_filter": definition.choice_filter,
            "position": position,
            "type": definition.type,
            "label": definition.label,
            "hint": definition.hint,
            "required": definition.required,
            "relevant": definition.relevant,
            "constraint": definition.constraint,
            "constraint_message": definition.constraint_message,
            "screening": definition.screening,
            "attention_check": definition.attention_check,
            "appearance": definition.appearance,
            "choice_list": lists.get(definition.choice_list),
            "min_value": definition.min_value,
            "max_value": definition.max_value,
            "min_choices": definition.min_choices,
            "max_choices": definition.max_choices,
            "measure": definition.measure,
        },
    )
    for row_position, row in enumerate(definition.rows):
        GridRow.objects.update_or_create(
            question=question,
            variable=row.variable,
            defaults={"position": row_position, "label": row.label},
        )
    GridRow.objects.filter(question=question).exclude(
        variable__in=[row.variable for row in definition.rows]
    ).delete()
    return question


def _check_quota_conditions(survey: Survey, definition: SurveyDefinition) -> None:
    errors = condition_errors(survey.quota_cells.all(), set(definition.variables()))
    if errors:
        raise SurveyError(errors)


@transaction.atomic
def quota_cells_define(survey: Survey, cells: Iterable[QuotaCellSpec]) -> list[QuotaCell]:
    """Make `cells` the quota cells of `survey`, by name; cells not listed are removed."""
    cells = list(cells)
    errors = condition_errors(cells, set(survey_definition(survey).variables()))
    for cell in cells:
        if cell.target < 0:
            errors.append(f"quota cell '{cell.name}': the target cannot be negative")
    if len({cell.name for cell in cells}) != len(cells):
        errors.append("two quota cells have the same name")
    if errors:
        raise SurveyError(errors)
    saved = []
    for position, cell in enumerate(cells):
        quota_cell, _ = QuotaCell.objects.update_or_create(
            survey=survey,
            name=cell.name,
            defaults={
                "position": position,
                "label": cell.label,
                "condition": cell.condition,
                "target": cell.target,
                "is_hard": cell.is_hard,
            },
        )
        saved.append(quota_cell)
    QuotaCell.objects.filter(survey=survey).exclude(name__in=[c.name for c in cells]).delete()
    # Quality control derives who a person is from the cells' conditions.
    survey_questionnaire_changed(survey)
    return saved


def quota_cells_by_answer(
    survey: Survey, variable: str, populations: Mapping[str, int | float], total: int
) -> list[QuotaCellSpec]:
    """Return one cell per answer to `variable`, sharing `total` by population.

    Cells take their names and labels from the question's choices; the targets come from
    largest-remainder allocation, so they sum exactly to `total`.
    """
    question = Question.objects.select_related("choice_list").get(survey=survey, variable=variable)
    choices = {choice.value: choice for choice in question.choice_list.choices.all()}
    unknown = sorted(set(populations) - set(choices))
    if unknown:
        raise SurveyError([f"'{value}' is not an answer to {variable}" for value in unknown])
    targets = allocate_largest_remainder(total, populations)
    return [
        QuotaCellSpec(
            name=value,
            label=choices[value].label,
            condition=f"${{{variable}}} = '{value}'",
            target=targets[value],
        )
        for value in populations
    ]


def survey_questionnaire_changed(survey: Survey) -> None:
    """Move the survey's questionnaire version, leaving behind every cache derived from it.

    Called by the services that change what respondents are asked or what is derived
    from it; nothing else moves the version (ADR 0015).
    """
    Survey.objects.filter(pk=survey.pk).update(
        questionnaire_version=F("questionnaire_version") + 1, updated=timezone.now()
    )
    survey.refresh_from_db(fields=["questionnaire_version", "updated"])


def survey_subscribers_changed(survey_id: int) -> None:
    """Move the survey's subscribers version: who listens to its events has changed.

    Leaves the questionnaire's version, and every cache keyed on it, where it is.
    """
    Survey.objects.filter(pk=survey_id).update(subscribers_version=F("subscribers_version") + 1)


@transaction.atomic
def survey_set_sample_target(
    survey: Survey, target: int, *, user=None, reason: str = "", request=None
) -> Survey:
    """Set how many valid questionnaires the survey wants; validation closes it there."""
    if target < 0:
        raise SurveyError(["the sample target cannot be negative"])
    previous = survey.sample_target
    Survey.objects.filter(pk=survey.pk).update(sample_target=target)
    survey.sample_target = target
    if previous != target:
        # Quality control keeps the survey's row per version: the new target must reach it.
        survey_questionnaire_changed(survey)
        audit.record(
            audit.Action.QUOTA_TARGET,
            user=user,
            survey=survey,
            target=survey.slug,
            details={
                "sample_target": {"from": previous, "to": target},
                **({"reason": reason} if reason else {}),
            },
            request=request,
        )
    return survey


def survey_set_status(survey: Survey, status: str, *, user=None, actor: str = "") -> Survey:
    """Move `survey` to `status` (draft, live, paused or closed).

    A draft goes live only when its pre-flight check finds nothing wrong
    (`surveys.preflight`): questions, every text in every language, quota cells that
    name real questions and choices and sum to the sample target, fieldwork dates. (A
    paused or closed survey going live again went through that once; `surveys.schedule`
    says when it may.) `actor` names who acts when it is no user (the schedule).
    """
    if status not in Survey.Status.values:
        raise ValueError(f"unknown survey status {status!r}")
    if status == Survey.Status.LIVE and survey.status == Survey.Status.DRAFT:
        errors = survey_preflight(survey).errors
        if errors:
            raise SurveyError(errors)
    with transaction.atomic():
        changed = (
            Survey.objects.filter(pk=survey.pk)
            .exclude(status=status)
            .update(status=status, updated=timezone.now())
        )
        if changed:
            # Going live or back to draft changes what may be kept of the questionnaire.
            survey_questionnaire_changed(survey)
            audit.record(
                audit.Action.SURVEY_STATUS,
                user=user,
                actor=actor,
                survey=survey,
                target=survey.slug,
                details={"from": survey.status, "to": status},
            )
    survey.status = status
    return survey
