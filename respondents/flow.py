"""The path through a questionnaire: which pages and questions a respondent sees.

Everything here is decided on the server from the answers stored so far; the browser may
show and hide questions ahead of time, but these functions are the truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from fieldwork.memo import BoundedMemo
from surveys.expressions import Evaluator, parse, references
from surveys.models import Choice, GridRow, Page, Question, Survey

# Unpickled questionnaires of the survey versions this process served lately. Unpickling
# one from Redis took ~13% of a respondent's page; a live survey cannot change its
# questionnaire without a new version key, so a copy kept here is never stale (ADR 0012).
# A handful of surveys are in the field at once; each copy is some hundreds of kilobytes.
_QUESTIONNAIRES = BoundedMemo("questionnaires", maxsize=16)


def survey_version(survey: Survey) -> str | None:
    """Return the key of the survey's questionnaire as it stands, None for a draft.

    A draft's questions change without the survey being saved, so nothing derived from
    a draft may be kept; a live or closed survey's questionnaire cannot change, and every
    status change by `survey_set_status` (going live, back to draft) moves `updated`. (A
    survey closing itself at its target does not; nothing kept depends on its status.)
    """
    if survey.status == Survey.Status.DRAFT:
        return None
    return f"{survey.pk}:{survey.updated.timestamp()}"


@dataclass
class Questionnaire:
    """A survey's pages, questions and choices, loaded once for a request.

    The pages of a live or closed survey are shared by every request of the process:
    read them, never change them, and take the survey from `survey` (this request's
    row), not from `page.survey`, which would load it and cache it on the shared page.
    """

    survey: Survey
    pages: list[Page]

    @classmethod
    def load(cls, survey: Survey) -> Questionnaire:
        """Return the survey's questionnaire, from the cache unless the survey is a draft.

        A live or closed survey's questionnaire cannot change (going live saves the survey,
        which changes the key), so every respondent's request shares one copy instead of
        loading its pages, questions and choices again (seven queries, ~50 ms a page),
        and each process keeps the unpickled copy of the versions it served lately.
        """
        version = survey_version(survey)
        if version is None:
            return cls(survey, cls._load_pages(survey))
        pages = _QUESTIONNAIRES.through_cache(
            f"questionnaire:{version}", lambda: cls._load_pages(survey), timeout=3600
        )
        return cls(survey, pages)

    @staticmethod
    def _load_pages(survey: Survey) -> list[Page]:
        pages = list(
            Page.objects.filter(survey=survey).prefetch_related(
                Prefetch(
                    "questions",
                    queryset=Question.objects.order_by("position")
                    .select_related("choice_list")
                    .prefetch_related(
                        Prefetch("rows", queryset=GridRow.objects.order_by("position")),
                        Prefetch(
                            "choice_list__choices", queryset=Choice.objects.order_by("position")
                        ),
                    ),
                )
            )
        )
        # The skip-logic walk asks for a page's questions and a question's answer names
        # thousands of times a request; `page.questions.all()` builds a manager and a
        # queryset each time. Plain lists, made once here (before the pages are cached
        # or shared), serve them (`questions_of`, `answer_names`).
        for page in pages:
            page.question_list = list(page.questions.all())
            for question in page.question_list:
                question.answer_name_list = _answer_names(question)
        return pages

    def page(self, name: str) -> Page | None:
        return next((page for page in self.pages if page.name == name), None)

    def questions(self):
        for page in self.pages:
            yield from questions_of(page)


def questions_of(page: Page) -> list[Question]:
    """Return the page's questions in order (the list kept at loading, when there is one)."""
    listed = page.__dict__.get("question_list")
    return listed if listed is not None else list(page.questions.all())


def answer_names(question: Question) -> list[str]:
    """Return the answer variables a question fills: its own, or each grid row's."""
    listed = question.__dict__.get("answer_name_list")
    return listed if listed is not None else _answer_names(question)


def _answer_names(question: Question) -> list[str]:
    if question.type == Question.Type.GRID:
        return [row.variable for row in question.rows.all()]
    if question.type == Question.Type.NOTE:
        return []
    return [question.variable]


def evaluator(answers: Mapping[str, Any], known: Mapping[str, Any]) -> Evaluator:
    """Evaluate against the answers, falling back to what the panel already knew."""
    return Evaluator({**known, **answers})


def is_relevant(question: Question, answers: Mapping[str, Any], known: Mapping[str, Any]) -> bool:
    return evaluator(answers, known).holds(question.relevant)


def depends_on_page(question: Question, page: Page) -> bool:
    """Return whether the question's skip logic reads an answer given on its own page."""
    if not question.relevant:
        return False
    names = {name for other in questions_of(page) for name in answer_names(other)}
    return bool(references(parse(question.relevant)) & names)


def page_is_shown(page: Page, answers: Mapping[str, Any], known: Mapping[str, Any]) -> bool:
    """A page shows when its own condition holds and it has a question to show."""
    return _page_is_shown(page, evaluator(answers, known))


def _page_is_shown(page: Page, current: Evaluator) -> bool:
    # One evaluator (one merged dict of answers) for every condition of the walk.
    if not current.holds(page.relevant):
        return False
    return any(
        current.holds(question.relevant) or depends_on_page(question, page)
        for question in questions_of(page)
    )


def shown_pages(
    questionnaire: Questionnaire, answers: Mapping[str, Any], known: Mapping[str, Any]
) -> list[Page]:
    current = evaluator(answers, known)
    return [page for page in questionnaire.pages if _page_is_shown(page, current)]


def discard_hidden(
    questionnaire: Questionnaire, answers: Mapping[str, Any], known: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the answers without those to questions that are no longer shown.

    Walks the questionnaire in order, so a question hidden by a changed answer also
    stops counting for the questions after it.
    """
    kept: dict[str, Any] = {}
    for page in questionnaire.pages:
        page_shown = evaluator(kept, known).holds(page.relevant)
        for question in questions_of(page):
            if page_shown and is_relevant(question, kept, known):
                for name in answer_names(question):
                    if name in answers:
                        kept[name] = answers[name]
    return kept


def page_is_answered(page: Page, answers: Mapping[str, Any], known: Mapping[str, Any]) -> bool:
    """Return whether every required question the page now shows has its answer.

    A page answered once can lose that: an answer changed on an earlier page may bring
    in a required question on it that the respondent never saw.
    """
    current = evaluator(answers, known)
    for question in questions_of(page):
        if question.required and current.holds(question.relevant):
            for name in answer_names(question):
                if answers.get(name, known.get(name)) in (None, "", []):
                    return False
    return True


def resume_page(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    known: Mapping[str, Any],
    pages_done: list[str],
) -> Page | None:
    """Return the first shown page not yet (fully) answered, or None when all are."""
    for page in shown_pages(questionnaire, answers, known):
        if page.name not in pages_done or not page_is_answered(page, answers, known):
            return page
    return None


def neighbour_page(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    known: Mapping[str, Any],
    page: Page,
    step: int,
) -> Page | None:
    """Return the shown page `step` places after (or before) `page`, if any."""
    pages = shown_pages(questionnaire, answers, known)
    names = [p.name for p in pages]
    if page.name not in names:
        return None
    index = names.index(page.name) + step
    return pages[index] if 0 <= index < len(pages) else None


def progress(
    questionnaire: Questionnaire, answers: Mapping[str, Any], known: Mapping[str, Any], page: Page
) -> int:
    """Return how far through the shown pages `page` is, as a percentage."""
    names = [p.name for p in shown_pages(questionnaire, answers, known)]
    if page.name not in names or not names:
        return 0
    return round(100 * names.index(page.name) / len(names))
