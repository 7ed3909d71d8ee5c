"""A page's questions as HTML: crispy-forms' markup, rendered once per process and state.

crispy-forms renders each question through a tree of templates (~5 ms a question under a
profiler, a fifth of a respondent's page). What it renders is a function of the question
as the survey's version defines it (label, hint, choices, widget), the language, whether
the question shows, and the values in its fields: every respondent at the same point sees
the same bytes. So each rendering is kept in a bounded per-process memo under exactly
those inputs (ADR 0012), and a page is assembled from them.

Kept: empty fields, a choice question holding its own choices, and a number question
holding a number (an age the panel knew, say): values stored or known, which name no one.
Not kept: any text or date (people's words and birthdays stay out of process memory, and
their variety would only churn the memo), a question with an error (its message may
quote what was typed), anything a respondent posted (a page posted is only shown again
when refused, and what is posted is not yet checked), anything of a draft survey (its
questions change without a new version).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from fieldwork.memo import BoundedMemo
from respondents import flow
from surveys.questionnaire import Page, Question, Questionnaire, Type, version_key

if TYPE_CHECKING:
    from respondents.forms import LanguageForm, PageForm
    from surveys.models import Survey

# A questionnaire of ~60 questions in two or three languages, each question in a few
# states (empty, or holding one of its choices), fits many times over. A fragment is ~3
# kilobytes (a grid up to ~20): the memo keeps at most 4 million characters, 8 MB or so.
_FRAGMENTS = BoundedMemo("question fragments", maxsize=4096, max_chars=4_000_000)
TEMPLATE = "respondents/question.html"
# Longer values (a long number, a list of many ticked boxes) are rendered, not kept.
MAX_KEPT_VALUE = 200
# The questions whose values are their own choices, and those whose values are numbers.
CHOICES = (Type.SINGLE, Type.MULTIPLE, Type.GRID)
NUMBERS = (Type.INTEGER, Type.DECIMAL)


def question_html(form: PageForm, question: Question, current: dict[str, Any]) -> SafeString:
    """Return the question's HTML as `respondents/question.html` renders it for `form`.

    `current` is the form's answers so far (`PageForm._current`), which decide whether
    the question shows.
    """
    key = fragment_key(form, question, current)
    if key is not None:
        html = _FRAGMENTS.get(key)
        if html is not None:
            return html
    html = render(form, question, current)
    if key is not None:
        _FRAGMENTS.set(key, html)
    return html


def page_questions(
    page: Page,
    questionnaire: Questionnaire,
    language: str,
    answers: dict[str, Any],
    known: dict[str, Any],
) -> list[SafeString]:
    """Return the questions of a page shown afresh (no answers posted), as HTML, in order.

    What `PageForm(...).rendered_questions()` returns, without building the form when
    every question is in the memo: a form that nothing has been posted to renders each
    question from its initial values (what the panel knew, then the answers stored),
    so those stand for the field values in the key. The form is built for the first
    question not kept, and renders it as always.
    """
    from respondents.forms import PageForm

    initial = {**known, **answers}
    form = None
    shown = flow.evaluator(answers, known)  # PageForm._current() of an unbound form
    html = []
    for question in page.questions:
        if question.server_filled:
            continue  # metadata and calculations are never shown
        key = _unbound_key(
            questionnaire, language, question, initial, shown.holds(question.relevant)
        )
        fragment = _FRAGMENTS.get(key) if key is not None else None
        if fragment is None:
            if form is None:
                form = PageForm(page, language, answers, known, questionnaire=questionnaire)
            fragment = render(form, question, form._current())
            if key is not None:
                _FRAGMENTS.set(key, fragment)
        html.append(fragment)
    return html


def _unbound_key(
    questionnaire: Questionnaire,
    language: str,
    question: Question,
    initial: dict[str, Any],
    shown: bool,
) -> tuple | None:
    values = _kept_values(question, [(name, initial.get(name)) for name in question.answer_names])
    version = questionnaire.version
    if values is None or version is None or question.pipes:
        return None
    return (
        "unbound",
        version,
        language,
        translation.get_language(),
        question.variable,
        shown,
        values,
    )


def _kept_values(question: Question, values: list[tuple[str, Any]]) -> tuple | None:
    """Return the fields' values as a key, or None when they are not to be kept.

    Only empty fields, a choice question's own choices and a number question's numbers
    are kept (see the module's docstring).
    """
    choices = None
    kept = []
    for name, value in values:
        if value in (None, "", []):
            value = None
        elif question.type in NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                return None
        else:
            if choices is None:
                choices = _choice_values(question)
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) and item in choices for item in items):
                return None
        kept.append((name, type(value).__name__, repr(value)))
    if sum(len(text) for _name, _type, text in kept) > MAX_KEPT_VALUE:
        return None
    return tuple(kept)


def _choice_values(question: Question) -> frozenset[str]:
    if question.type not in CHOICES:
        return frozenset()
    return frozenset(question.choice_values)


def render(form: PageForm, question: Question, current: dict[str, Any]) -> SafeString:
    """Render the question afresh, through crispy-forms (the memo's source)."""
    return render_to_string(TEMPLATE, {"block": form.block(question, current)})


def fragment_key(form: PageForm, question: Question, current: dict[str, Any]) -> tuple | None:
    """Return everything the question's HTML depends on, or None when it is not kept."""
    version = form.questionnaire.version
    if version is None or form.is_bound or question.pipes:
        return None
    if question.children:
        # A repeat's fields are its entries': kept only while it has none (one blank entry).
        if form.answers.get(question.variable):
            return None
        names = [name for name in form.fields if name in form._entry_names]
        fields = [form[name] for name in names if name.startswith(question.variable + ".")]
    else:
        fields = [form[name] for name in question.answer_names]
    if any(field.errors for field in fields):
        return None
    values = _kept_values(question, [(field.name, field.value()) for field in fields])
    if values is None:
        return None
    return (
        version,
        form.language,
        # The interface language the fragment is rendered in (the survey's language when
        # the view renders it), should any template of the pack translate a word.
        translation.get_language(),
        question.variable,
        form.is_shown(question, current),
        values,
    )


def language_choice_html(form: LanguageForm, survey: Survey) -> SafeString:
    """Return the welcome page's language choice as crispy-forms renders it, kept likewise.

    It depends on the survey's languages (its version), the interface language (its
    label) and the language preselected; a choice with an error is rendered afresh.
    """
    field = form["language"]
    version = version_key(survey)
    if version is None or field.errors:
        return as_crispy_field(field)
    key = ("language choice", version, translation.get_language(), repr(field.value()))
    html = _FRAGMENTS.get(key)
    if html is None:
        html = as_crispy_field(field)
        _FRAGMENTS.set(key, html)
    return html
