"""The check before a survey goes live: every reason it may not, and what to look at.

`survey_set_status` refuses to go live while `survey_preflight` finds an error; the
field manager's publish page, the `publish` command and the admin show the same list.
Messages are in the active language (the interface's, or English on the command line).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from surveys.definition import SERVER_FILLED_TYPES, SurveyDefinition, Translations
from surveys.expressions import ExpressionError, compared_values, parse, references
from surveys.models import Survey
from surveys.quotas import condition_errors
from surveys.selectors import survey_definition

# Missing texts listed one by one, up to this many; the rest are counted.
MAX_MISSING_LISTED = 25


@dataclass(frozen=True)
class Preflight:
    """What stops a survey going live (`errors`) and what deserves a look (`warnings`)."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.errors


def language_label(code: str) -> str:
    """Return a language's name in the active language, with its code: 'Kazakh (kk)'."""
    try:
        return f"{get_language_info(code)['name_translated']} ({code})"
    except KeyError:
        return code


def survey_preflight(survey: Survey) -> Preflight:
    """Check `survey` as it stands: may it go live, and what should be looked at first."""
    definition = survey_definition(survey)
    errors: list[str] = []
    warnings: list[str] = []
    if not definition.pages:
        errors.append(_("The questionnaire has no questions."))
    errors += _missing_texts(survey, definition)
    errors += _quota_errors(survey, definition)
    if not survey.sample_target:
        errors.append(_("The sample target (valid questionnaires wanted) is not set."))
    if survey.fieldwork_start is None or survey.fieldwork_end is None:
        errors.append(
            _("The fieldwork dates are missing: set both the start and the end of fieldwork.")
        )
    if definition.pages and not any(q.screening for q in definition.questions()):
        warnings.append(
            _(
                "No question screens respondents (the XLSForm's screening column): everyone "
                "who starts counts as eligible, whatever the design's eligibility."
            )
        )
    return Preflight(errors, warnings)


def _texts(survey: Survey, definition: SurveyDefinition) -> Iterator[tuple[str, Translations]]:
    """Yield every text a respondent may see, named so a person can find it."""
    yield _("the survey's title"), definition.title
    if definition.consent:
        yield _("the consent text"), definition.consent
    for page in definition.pages:
        if page.title:
            yield _("page '%(name)s': its title") % {"name": page.name}, page.title
        for question in page.questions:
            names = {"name": question.variable}
            if question.type not in SERVER_FILLED_TYPES or question.label:
                # Metadata and calculations are never shown: a label there is optional.
                yield _("question '%(name)s': its label") % names, question.label
            if question.hint:
                yield _("question '%(name)s': its hint") % names, question.hint
            if question.constraint_message:
                yield (
                    _("question '%(name)s': its constraint message") % names,
                    question.constraint_message,
                )
            for row in question.rows:
                yield _("grid row '%(name)s': its label") % {"name": row.variable}, row.label
    for choice_list in definition.choice_lists:
        for choice in choice_list.choices:
            yield (
                _("choice '%(value)s' of list '%(list)s'")
                % {"value": choice.value, "list": choice_list.name},
                choice.label,
            )
    for cell in survey.quota_cells.order_by("position", "name"):
        yield _("quota cell '%(name)s': its label") % {"name": cell.name}, cell.label


def _missing_texts(survey: Survey, definition: SurveyDefinition) -> list[str]:
    missing = []
    for where, text in _texts(survey, definition):
        for code in survey.languages:
            if not (text.get(code) or "").strip():
                missing.append(
                    _("%(where)s has no text in %(language)s.")
                    % {"where": where, "language": language_label(code)}
                )
    if len(missing) > MAX_MISSING_LISTED:
        more = len(missing) - MAX_MISSING_LISTED
        missing = missing[:MAX_MISSING_LISTED] + [
            _("… and %(count)s more texts without a translation.") % {"count": more}
        ]
    return missing


def _quota_errors(survey: Survey, definition: SurveyDefinition) -> list[str]:
    errors = []
    cells = list(survey.quota_cells.order_by("position", "name"))
    unknown = condition_errors(cells, set(definition.variables()))
    for line in unknown:
        errors.append(_("Quota cell condition: %(problem)s") % {"problem": line})
    choices = {
        question.variable: _choice_values(definition, question.choice_list)
        for question in definition.questions()
        if question.choice_list
    }
    for question in definition.questions():
        for row in question.rows:
            choices[row.variable] = choices.get(question.variable, set())
    for cell in cells:
        try:
            pairs = compared_values(parse(cell.condition))
        except ExpressionError:
            continue  # reported above
        for name, value in sorted(pairs):
            if name in choices and value not in choices[name]:
                errors.append(
                    _(
                        "Quota cell '%(cell)s': its condition names the choice '%(value)s', "
                        "which question '%(question)s' does not have."
                    )
                    % {"cell": cell.name, "value": value, "question": name}
                )
    dimensions = _hard_dimensions(cells)
    for variables, total in dimensions.items():
        if total == survey.sample_target:
            continue
        numbers = {"total": f"{total:,}", "target": f"{survey.sample_target:,}"}
        if len(dimensions) == 1:
            errors.append(
                _(
                    "The hard quota cells' targets sum to %(total)s, not to the sample target "
                    "of %(target)s."
                )
                % numbers
            )
        else:
            errors.append(
                _(
                    "The hard quota cells on %(variables)s have targets that sum to %(total)s, "
                    "not to the sample target of %(target)s."
                )
                % {**numbers, "variables": ", ".join(variables)}
            )
    return errors


def _hard_dimensions(cells) -> dict[tuple[str, ...], int]:
    """Sum the hard cells' targets per dimension: the cells whose conditions read the same
    answers (region cells, age-band cells), each of which shares out the whole sample.

    A respondent takes a place in every cell they match (`respondents.verdicts`), so a
    design may have hard cells on several independent margins; each must add up to the
    sample target on its own.
    """
    dimensions: dict[tuple[str, ...], int] = {}
    for cell in cells:
        if not cell.is_hard:
            continue
        try:
            variables = tuple(sorted(references(parse(cell.condition))))
        except ExpressionError:
            continue  # reported with the conditions
        dimensions[variables] = dimensions.get(variables, 0) + cell.target
    return dimensions


def _choice_values(definition: SurveyDefinition, list_name: str) -> set[str]:
    for choice_list in definition.choice_lists:
        if choice_list.name == list_name:
            return {choice.value for choice in choice_list.choices}
    return set()
