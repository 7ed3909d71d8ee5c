"""The respondent's forms: the language choice, and one form per questionnaire page.

A page form validates everything on the server: types, ranges, choice values that exist,
required answers and constraints, and it evaluates skip logic itself, so that an answer
posted for a hidden question is dropped rather than trusted.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.html import conditional_escape
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from respondents import flow
from surveys.expressions import Evaluator, tree_as_data
from surveys.models import Survey, language_name
from surveys.questionnaire import Page, Question, Questionnaire, Type

MAX_TEXT = 1000
MAX_LONG_TEXT = 5000
UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")
# The largest whole number an answer may hold: what a decimal question holds too.
MAX_WHOLE = 10**14 - 1
# From this many choices on, a list is searchable: a single choice becomes a select with a
# search box, a multiple choice's boxes get one (static/respondents/form.js).
SEARCHABLE_FROM = 30


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), widget=forms.RadioSelect)

    def __init__(self, survey: Survey, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, _native_name(code)) for code in survey.languages]


def _native_name(code: str) -> str:
    """Return a language's name in that language, as a respondent looks for it."""
    named = dict(settings.LANGUAGES)
    if code in named:
        return named[code]
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return language_name(code)


class NoNulCharField(forms.CharField):
    """A text field that refuses NUL characters, which databases cannot store.

    Nor lone surrogates: no form post carries one, but a JSON document given to the
    API can ("\\ud800"), and such text cannot be written as UTF-8.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if "\x00" in value or UNPAIRED_SURROGATE.search(value):
            raise forms.ValidationError(_("The text contains a character that is not allowed."))
        return value


class PageForm(forms.Form):
    """The questions of one page, in the respondent's language."""

    def __init__(
        self,
        page: Page,
        language: str,
        answers: dict[str, Any],
        known: dict[str, Any],
        *args,
        questionnaire: Questionnaire,
        **kwargs,
    ) -> None:
        self.page = page
        self.questionnaire = questionnaire
        self.language = language
        self.answers = answers
        self.known = known
        self._choice_lists: dict[str, list[tuple[str, str]]] = {}
        kwargs.setdefault("initial", {**known, **answers})
        super().__init__(*args, **kwargs)
        self.questions = list(page.questions)
        for question in self.questions:
            self._add_fields(question)

    def text(self, value: dict[str, str]) -> str:
        return self.questionnaire.text(value, self.language)

    def _choices(self, question: Question) -> list[tuple[str, str]]:
        # A grid asks once per row and once for its scale: build the list once per form.
        if question.variable not in self._choice_lists:
            self._choice_lists[question.variable] = [
                (choice.value, self.text(choice.label)) for choice in question.choices
            ]
        return self._choice_lists[question.variable]

    def _add_fields(self, question: Question) -> None:
        label = self.text(question.label)
        # crispy-forms renders help text as HTML: the hint is text, so escape it here.
        hint = conditional_escape(self.text(question.hint))
        # A required question is marked as such (crispy-forms' asterisk, the controls'
        # `required`); skip logic still decides in clean() whether it is asked at all.
        required = {
            "required": question.required,
            "error_messages": {"required": gettext_lazy("Please answer this question.")},
        }
        common = {"label": label, "help_text": hint, **required}
        kind = question.type
        if kind == Type.GRID:
            for row in question.rows:
                self.fields[row.variable] = forms.ChoiceField(
                    label=self.text(row.label),
                    **required,
                    choices=self._choices(question),
                    widget=forms.RadioSelect,
                )
            return
        if kind == Type.NOTE:
            return
        if kind == Type.SINGLE:
            choices = self._choices(question)
            if len(choices) >= SEARCHABLE_FROM:
                field = forms.ChoiceField(
                    choices=[("", "—"), *choices],
                    widget=forms.Select(attrs=_searchable()),
                    **common,
                )
            else:
                field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        elif kind == Type.MULTIPLE:
            choices = self._choices(question)
            attrs = _searchable() if len(choices) >= SEARCHABLE_FROM else None
            field = forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple(attrs=attrs), **common
            )
        elif kind == Type.INTEGER:
            low, high = _whole(question.min_value), _whole(question.max_value)
            field = forms.IntegerField(
                # Without bounds of its own, a number still has to fit where answers go:
                # reports read it as a float, the browser's skip logic as a JS number.
                min_value=-MAX_WHOLE if low is None else low,
                max_value=MAX_WHOLE if high is None else high,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                **common,
            )
        elif kind == Type.DECIMAL:
            field = forms.DecimalField(
                min_value=question.min_value,
                max_value=question.max_value,
                max_digits=20,
                decimal_places=6,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
                **common,
            )
        elif kind == Type.DATE:
            field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        elif kind == Type.LONG_TEXT:
            field = NoNulCharField(
                max_length=MAX_LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4}), **common
            )
        else:
            field = NoNulCharField(max_length=MAX_TEXT, **common)
        self.fields[question.variable] = field

    # Layout helpers for the template -------------------------------------------------

    def rendered_questions(self) -> list[str]:
        """Return each question of the page as HTML, in order (see respondents.rendering)."""
        from respondents import rendering

        current = self._current()
        return [rendering.question_html(self, question, current) for question in self.questions]

    def block(self, question: Question, current: dict[str, Any]) -> dict[str, Any]:
        """Return what the question's template needs to show it."""
        block = {
            "question": question,
            "label": self.text(question.label),
            "hint": self.text(question.hint),
            "relevant": json.dumps(tree_as_data(question.relevant)) if question.relevant else "",
            "shown": self.is_shown(question, current),
            "required": question.required,
        }
        if question.type == Type.GRID:
            block["scale"] = self._choices(question)
            block["rows"] = [self[row.variable] for row in question.rows]
        elif question.type != Type.NOTE:
            block["field"] = self[question.variable]
        return block

    def is_shown(self, question: Question, current: dict[str, Any]) -> bool:
        """Return whether the question shows, given the answers `_current` returned."""
        return flow.is_relevant(question, current, self.known)

    def _current(self) -> dict[str, Any]:
        """Answers so far, with this page's posted values when the form is bound."""
        if not self.is_bound:
            return {**self.answers}
        current = dict(self.answers)
        for name, field in self.fields.items():
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if raw not in (None, "", []):
                current[name] = raw
        return current

    # Validation --------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Skip logic on this page reads this page's new answers, never the stored ones.
        answers = {k: v for k, v in self.answers.items() if k not in self.fields}
        result: dict[str, Any] = {}
        for question in self.questions:
            names = question.answer_names
            if not names:
                continue
            if not flow.is_relevant(question, answers, self.known):
                # Hidden on the server's reckoning: whatever was posted is dropped.
                for name in names:
                    self.errors.pop(name, None)
                continue
            for name in names:
                if name in self.errors:
                    continue
                value = _storable(cleaned.get(name))
                if value in (None, "", []):
                    if question.required:
                        self.add_error(name, _("Please answer this question."))
                    continue
                if not self._check(question, name, value, answers):
                    continue
                answers[name] = value
                result[name] = value
        self.page_answers = result
        return cleaned

    def _check(self, question: Question, name: str, value: Any, answers: dict) -> bool:
        if question.type == Type.MULTIPLE:
            count = len(value)
            low, high = question.min_choices, question.max_choices
            if low is not None and count < low:
                self.add_error(name, _("Please choose at least %(n)d.") % {"n": low})
                return False
            if high is not None and count > high:
                self.add_error(name, _("Please choose at most %(n)d.") % {"n": high})
                return False
        if question.constraint:
            evaluator = Evaluator({**self.known, **answers})
            if not evaluator.holds(question.constraint, current=value):
                message = self.text(question.constraint_message) or _(
                    "This answer is not accepted."
                )
                self.add_error(name, message)
                return False
        return True


def _searchable() -> dict[str, str]:
    """Return the attributes that give a long list its search box (form.js)."""
    return {"data-searchable": "true", "data-search-label": _("Search the list")}


def _whole(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _storable(value: Any) -> Any:
    """Return a cleaned value as it is stored in the submission's JSON document."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value
