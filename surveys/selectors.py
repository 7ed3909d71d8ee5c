"""Reads of questionnaires: definitions, texts and their completeness."""

from __future__ import annotations

from django.db.models import Prefetch

from surveys.definition import (
    ChoiceDef,
    ChoiceListDef,
    GridRowDef,
    PageDef,
    QuestionDef,
    SurveyDefinition,
)
from surveys.models import Choice, ChoiceList, GridRow, Page, Question, Survey


def survey_definition(survey: Survey) -> SurveyDefinition:
    """Return the questionnaire of `survey` as plain data (a fixed number of queries)."""
    pages = Page.objects.filter(survey=survey).prefetch_related(
        Prefetch(
            "questions",
            queryset=Question.objects.select_related("choice_list")
            .prefetch_related(Prefetch("rows", queryset=GridRow.objects.order_by("position")))
            .order_by("position"),
        )
    )
    lists = ChoiceList.objects.filter(survey=survey).prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("position"))
    )
    return SurveyDefinition(
        title=survey.title,
        languages=tuple(survey.languages),
        default_language=survey.default_language,
        version=survey.version,
        sample_target=survey.sample_target,
        fieldwork_start=survey.fieldwork_start,
        fieldwork_end=survey.fieldwork_end,
        estimated_minutes=survey.estimated_minutes,
        consent=survey.consent,
        pages=tuple(
            PageDef(
                name=page.name,
                title=page.title,
                relevant=page.relevant,
                questions=tuple(_question_definition(q) for q in page.questions.all()),
            )
            for page in pages
        ),
        choice_lists=tuple(
            ChoiceListDef(
                name=choice_list.name,
                choices=tuple(
                    ChoiceDef(value=choice.value, label=choice.label)
                    for choice in choice_list.choices.all()
                ),
            )
            # Sorted here, not by the database, whose collation may order names
            # differently from the XLSForm reader.
            for choice_list in sorted(lists, key=lambda choice_list: choice_list.name)
        ),
    )


def _question_definition(question: Question) -> QuestionDef:
    return QuestionDef(
        variable=question.variable,
        type=question.type,
        label=question.label,
        hint=question.hint,
        required=question.required,
        relevant=question.relevant,
        constraint=question.constraint,
        constraint_message=question.constraint_message,
        screening=question.screening,
        attention_check=question.attention_check,
        appearance=question.appearance,
        choice_list=question.choice_list.name if question.choice_list else "",
        min_value=question.min_value,
        max_value=question.max_value,
        min_choices=question.min_choices,
        max_choices=question.max_choices,
        measure=question.measure,
        rows=tuple(
            GridRowDef(variable=row.variable, label=row.label) for row in question.rows.all()
        ),
    )


def survey_texts(survey: Survey) -> list[dict[str, str]]:
    """Return every respondent-facing text of `survey` that has been written at all."""
    definition = survey_definition(survey)
    texts = [definition.title]
    for page in definition.pages:
        texts.append(page.title)
        for question in page.questions:
            texts += [question.label, question.hint, question.constraint_message]
            texts += [row.label for row in question.rows]
    for choice_list in definition.choice_lists:
        texts += [choice.label for choice in choice_list.choices]
    texts += list(survey.quota_cells.values_list("label", flat=True))
    return [text for text in texts if text]


def translation_completeness(survey: Survey) -> dict[str, float]:
    """Return, per survey language, the share of written texts that have that language."""
    texts = survey_texts(survey)
    if not texts:
        return {code: 1.0 for code in survey.languages}
    return {
        code: sum(1 for text in texts if (text.get(code) or "").strip()) / len(texts)
        for code in survey.languages
    }


def survey_publish_errors(survey: Survey) -> list[str]:
    """Return why `survey` cannot go live yet; an empty list means it can."""
    errors = []
    if not survey.questions.exists():
        errors.append(f"survey '{survey.slug}' has no questions")
    for code, share in translation_completeness(survey).items():
        if share < 1:
            errors.append(
                f"survey '{survey.slug}': only {share:.0%} of its texts are translated into {code}"
            )
    return errors


def quota_table(survey: Survey) -> list[dict]:
    """Return each quota cell with its target, counts and state (open, full or closed)."""
    rows = []
    for cell in survey.quota_cells.order_by("position", "name"):
        state = cell.state(survey.status)
        rows.append(
            {
                "cell": cell.name,
                "label": survey.text(cell.label),
                "target": cell.target,
                "confirmed": cell.confirmed,
                "reserved": cell.reserved,
                "released": cell.released,
                "hard": cell.is_hard,
                "state": state,
            }
        )
    return rows


def cell_names(survey: Survey) -> list[str]:
    """Return the names of the survey's quota cells, in the order they are shown."""
    return list(survey.quota_cells.order_by("position", "name").values_list("name", flat=True))
