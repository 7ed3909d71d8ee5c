"""A preview: the questionnaire answered as a respondent would, with nothing stored.

A field manager walks the questionnaire (a draft too) in any of its languages, from any
page, through the same page services as a respondent (`respondents.pages`): the same
skip logic, validation, screening and end. Only where the answers are kept differs: not
in a Submission row but in the manager's session, through `SessionStore`, an
`AnswerStore` the page services are given instead of the submissions' one. A preview
writes no row: no respondent, no submission, no quota slot, no count (ADR "preview").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from respondents import flow, services
from respondents.models import Submission
from surveys.models import Survey
from surveys.questionnaire import Questionnaire, questionnaire_of

SESSION_KEY = "preview:{}"


@dataclass
class PreviewSitting:
    """A preview's way through the questionnaire: what a submission holds, in the session."""

    survey: Survey
    language: str
    # The page the preview started at ("" for the first): the pages before it are left out.
    start: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    pages_done: list[str] = field(default_factory=list)
    status: str = Submission.Status.IN_PROGRESS
    # The questionnaire version the preview began on: a new upload starts it afresh.
    version: int = 0

    @property
    def known(self) -> Mapping[str, Any]:
        return {}  # a preview comes from no panel

    @property
    def is_open(self) -> bool:
        return self.status == Submission.Status.IN_PROGRESS

    @property
    def questionnaire(self) -> Questionnaire:
        """The questionnaire this preview walks: the survey's, from its starting page."""
        return questionnaire_of(self.survey).starting_at(self.start)


class SessionStore:
    """Keeps a preview's answers in a session (an `AnswerStore` for the page services)."""

    def __init__(self, session) -> None:
        self.session = session

    def show_page(self, sitting: PreviewSitting) -> None:
        """A preview times nothing."""

    def save_page(
        self,
        sitting: PreviewSitting,
        questionnaire: Questionnaire,
        page_name: str,
        page_answers: Mapping[str, Any],
        *,
        seconds: float | None,
    ) -> tuple[PreviewSitting, flow.Walk]:
        stored = flow.page_stored(
            questionnaire, sitting.answers, sitting.pages_done, page_name, page_answers, {}
        )
        sitting.answers, sitting.pages_done = stored.answers, stored.pages_done
        # Decided as for a submission; a full cell is only read, never reserved.
        ending = services.submission_ending(
            sitting.survey,
            questionnaire.page(page_name),
            stored.answers,
            {},
            stored.walk,
            stored.pages_done,
        )
        if ending is not None:
            sitting.status = ending
        self.keep(sitting)
        return sitting, stored.walk

    def complete(self, sitting: PreviewSitting) -> PreviewSitting:
        sitting.status = Submission.Status.COMPLETED
        self.keep(sitting)
        return sitting

    def keep(self, sitting: PreviewSitting) -> None:
        kept = asdict(sitting)
        kept.pop("survey")
        self.session[SESSION_KEY.format(sitting.survey.pk)] = kept


def preview_start(session, survey: Survey, language: str, start: str = "") -> PreviewSitting:
    """Begin a preview of `survey` in `language` at page `start` (the first by default)."""
    if language not in survey.languages:
        language = survey.default_language
    if start not in {page.name for page in questionnaire_of(survey).pages}:
        start = ""
    sitting = PreviewSitting(survey, language, start=start, version=survey.questionnaire_version)
    SessionStore(session).keep(sitting)
    return sitting


def preview_of(session, survey: Survey) -> PreviewSitting | None:
    """Return the preview of `survey` under way in `session`, if any.

    None when there is none, or when the questionnaire has changed since it began (its
    answers were given to other questions).
    """
    kept = session.get(SESSION_KEY.format(survey.pk))
    if not isinstance(kept, dict) or kept.get("version") != survey.questionnaire_version:
        return None
    try:
        return PreviewSitting(survey=survey, **kept)
    except TypeError:  # kept by another version of this code
        return None


def preview_set_language(session, sitting: PreviewSitting, language: str) -> None:
    """Show the preview in another of the survey's languages; the answers stay."""
    if language in sitting.survey.languages:
        sitting.language = language
        SessionStore(session).keep(sitting)


def preview_end(session, survey: Survey) -> None:
    """Forget the preview of `survey`."""
    session.pop(SESSION_KEY.format(survey.pk), None)
