"""The page services: where a respondent goes next, show a page, submit a page.

Every way of answering a questionnaire goes through these: the respondent's browser
(`respondents.views`), the REST API's ingestion, the fieldwork simulation, and the modes
still to come (preview, test links, OpenRosa). Each returns a `PageOutcome` saying what
happened (show this page, go to that page, the submission ended, the page was refused),
and the caller only adapts it: a view renders or redirects, the ingestion collects the
errors. A rule written here holds for every mode (ADR 0016).

What they walk is a *sitting*: a submission row, or a preview's answers kept in the
manager's session (`respondents.preview`). The services read it (`answers`,
`pages_done`, `known`, `language`, `is_open`) and change it only through its
`AnswerStore`, which the caller passes (`store=`; a submission's by default). So a
preview walks the very same rules without a row written (ADR on preview).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from respondents import services
from respondents.flow import Walk
from respondents.forms import PageForm
from respondents.models import Submission
from surveys import schedule
from surveys.questionnaire import Page, Questionnaire


class Sitting(Protocol):
    """One person's way through a questionnaire, as the page services read it."""

    language: str
    answers: dict[str, Any]
    pages_done: list[str]

    @property
    def known(self) -> Mapping[str, Any]: ...

    @property
    def is_open(self) -> bool: ...


class AnswerStore(Protocol):
    """Where a sitting's answers are kept: what the page services call to change it."""

    def show_page(self, sitting: Any) -> None:
        """Note that a page is being shown (to time it)."""

    def save_page(
        self,
        sitting: Any,
        questionnaire: Questionnaire,
        page_name: str,
        page_answers: Mapping[str, Any],
        *,
        seconds: float | None,
    ) -> tuple[Any, Walk]:
        """Store a validated page; end the sitting where it now ends. Return the sitting
        as it now stands and the walk of its answers."""

    def complete(self, sitting: Any) -> Any:
        """Complete the sitting (nothing waits for answers); return it as it now stands."""


class SubmissionStore:
    """A respondent's submission row: the page services' store unless told otherwise."""

    def show_page(self, sitting: Submission) -> None:
        services.submission_show_page(sitting)

    def save_page(
        self,
        sitting: Submission,
        questionnaire: Questionnaire,
        page_name: str,
        page_answers: Mapping[str, Any],
        *,
        seconds: float | None,
    ) -> tuple[Submission, Walk]:
        return services.submission_save_page(
            sitting, questionnaire, page_name, page_answers, seconds=seconds
        )

    def complete(self, sitting: Submission) -> Submission:
        return services.submission_complete(sitting)


SUBMISSIONS = SubmissionStore()


class Next(enum.Enum):
    SHOW = "show"  # show `page`
    GO = "go"  # go to `page` (a redirect, for a browser)
    ENDED = "ended"  # the submission has ended: show its end
    REFUSED = "refused"  # the page's answers were refused: `form` holds why
    # The survey takes no answers now (not open yet, paused, closed): nothing was stored,
    # and `surveys.schedule.refusal` says why.
    CLOSED = "closed"


@dataclass(frozen=True)
class PageOutcome:
    """What a page service did. To go to no page (`page` None) is to resume: go to the
    first page not answered, or complete (`submission_resume`)."""

    next: Next
    submission: Submission | Any  # the sitting: a Submission, unless a store says otherwise
    page: Page | None = None
    walk: Walk | None = None
    # The page form, bound to what was submitted (its errors, or the answers it accepted).
    form: PageForm | None = None

    @property
    def ended(self) -> bool:
        return self.next is Next.ENDED


def _ended(submission: Sitting) -> PageOutcome:
    return PageOutcome(Next.ENDED, submission)


def _refused_by_schedule(submission: Sitting) -> PageOutcome | None:
    """Refuse an open submission when its survey takes no answers now (from the row in
    hand: no query). A test link answers a draft, before the start and during a pause;
    a preview (not a Submission) is never refused."""
    if (
        isinstance(submission, Submission)
        and submission.is_open
        and not schedule.takes_answers(submission.survey, test=submission.is_test)
    ):
        return PageOutcome(Next.CLOSED, submission)
    return None


def submission_resume(
    submission: Sitting, questionnaire: Questionnaire, *, store: AnswerStore = SUBMISSIONS
) -> PageOutcome:
    """Go to the first page the respondent has not answered; complete when there is none."""
    if not submission.is_open:
        return _ended(submission)
    if refused := _refused_by_schedule(submission):
        return refused
    walk = Walk.of(questionnaire, submission.answers, submission.known)
    page = walk.resume(submission.pages_done)
    if page is None:
        return _ended(store.complete(submission))
    return PageOutcome(Next.GO, submission, page, walk)


def _placed(
    submission: Sitting, questionnaire: Questionnaire, page_name: str
) -> tuple[Page | None, Walk]:
    """Return the page if the respondent may be on it now, and the walk of their answers."""
    walk = Walk.of(questionnaire, submission.answers, submission.known)
    page = questionnaire.page(page_name)
    return (page if walk.may_show(page, submission.pages_done) else None), walk


def submission_page_show(
    submission: Sitting,
    questionnaire: Questionnaire,
    page_name: str,
    *,
    store: AnswerStore = SUBMISSIONS,
) -> PageOutcome:
    """Show page `page_name`, noting when, if the respondent may be on it.

    A page hidden by skip logic, or past the first page still waiting for answers, is not
    theirs: they go where they should resume instead (an outcome to go to no page).
    """
    if not submission.is_open:
        return _ended(submission)
    if refused := _refused_by_schedule(submission):
        return refused
    page, walk = _placed(submission, questionnaire, page_name)
    if page is None:
        return PageOutcome(Next.GO, submission, None, walk)
    store.show_page(submission)
    return PageOutcome(Next.SHOW, submission, page, walk)


def submission_page_submit(
    submission: Sitting,
    questionnaire: Questionnaire,
    page_name: str,
    data: Mapping[str, Any],
    *,
    back: bool = False,
    seconds: float | None = None,
    store: AnswerStore = SUBMISSIONS,
) -> PageOutcome:
    """Submit page `page_name` with `data` (a form post, or what stands for one).

    Refused answers store nothing. Accepted ones are stored (`submission_save_page`:
    screening, quotas, completion); the outcome then goes to the next page shown, or
    says how the submission ended. `back` goes to the previous page, storing nothing.
    """
    if not submission.is_open:
        return _ended(submission)
    if refused := _refused_by_schedule(submission):
        return refused
    page, walk = _placed(submission, questionnaire, page_name)
    if page is None:
        return PageOutcome(Next.GO, submission, None, walk)
    if back:
        return PageOutcome(Next.GO, submission, walk.neighbour(page, -1) or page, walk)
    form = PageForm(
        page,
        submission.language,
        submission.answers,
        submission.known,
        data,
        questionnaire=questionnaire,
    )
    if not form.is_valid():
        return PageOutcome(Next.REFUSED, submission, page, walk, form)
    submission, walk = store.save_page(
        submission, questionnaire, page.name, form.page_answers, seconds=seconds
    )
    if not submission.is_open:
        return PageOutcome(Next.ENDED, submission, page, walk, form)
    following = walk.neighbour(page, +1) or walk.resume(submission.pages_done)
    return PageOutcome(Next.GO, submission, following, walk, form)


# What a respondent who is not a browser posts on a page: the data, and the seconds the
# page took (None: from when it was shown).
PageAnswer = Callable[[Submission, Page], tuple[Mapping[str, Any], float | None]]


def submission_answer_pages(
    submission: Sitting,
    questionnaire: Questionnaire,
    answer: PageAnswer,
    *,
    store: AnswerStore = SUBMISSIONS,
) -> tuple[Sitting, list[PageOutcome]]:
    """Answer page after page with `answer` until the submission ends or a page is refused.

    The loop of a respondent who answers every page in one go (an interview answered
    elsewhere, a simulated respondent). Returns the submission as it then stands and the
    outcome of each page submitted, the last one refused if a page was.
    """
    outcomes: list[PageOutcome] = []
    # Each page submitted is done or refused, so the loop ends within one pass.
    for _step in range(len(questionnaire.pages) + 1):
        step = submission_resume(submission, questionnaire, store=store)
        if step.ended or step.next is Next.CLOSED:
            return step.submission, outcomes
        data, seconds = answer(step.submission, step.page)
        outcome = submission_page_submit(
            step.submission, questionnaire, step.page.name, data, seconds=seconds, store=store
        )
        outcomes.append(outcome)
        submission = outcome.submission
        if outcome.next is Next.REFUSED or outcome.ended:
            return submission, outcomes
    raise RuntimeError(f"submission {submission.pk} did not end after every page")
