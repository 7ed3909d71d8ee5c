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
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from respondents import flow
from surveys.expressions import Evaluator, parse, tree_as_data
from surveys.models import Survey, language_name
from surveys.questionnaire import Page, Question, Questionnaire, Type

MAX_TEXT = 1000
MAX_LONG_TEXT = 5000
UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")
# The largest whole number an answer may hold: what a decimal question holds too.
MAX_WHOLE = 10**14 - 1
# How a date and time is written in the browser's datetime-local field.
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
# A repeat's entries on one page, at most, and how a field of an entry is named:
# `roster.2.age`, the age in the roster's entry at position 2.
MAX_ENTRIES = 50
ENTRY_SEPARATOR = "."
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
        # What the server fills (metadata, calculations) is neither shown nor posted.
        self.questions = [question for question in page.questions if not question.server_filled]
        # The entries of each repeat on the page: their positions in the form's names.
        self.entries: dict[str, list[int]] = {}
        self._entry_names: set[str] = set()
        for question in self.questions:
            if question.children:
                self._add_entries(question)
            else:
                self._add_fields(question)

    def text(self, value: dict[str, str]) -> str:
        text = self.questionnaire.text(value, self.language)
        if "${" in text:
            return piped(text, self.questionnaire, {**self.known, **self.answers}, self.language)
        return text

    def _choices(self, question: Question) -> list[tuple[str, str]]:
        # A grid asks once per row and once for its scale: build the list once per form.
        if question.variable not in self._choice_lists:
            self._choice_lists[question.variable] = [
                (choice.value, self.text(choice.label)) for choice in question.choices
            ]
        return self._choice_lists[question.variable]

    def _add_entries(self, repeat: Question) -> None:
        """Add the fields of each entry of a repeat: those posted, or those stored."""
        if self.is_bound:
            positions = entry_positions(self.data, repeat.variable)
        else:
            stored = self.answers.get(repeat.variable)
            stored = stored if isinstance(stored, list) else []
            positions = list(range(len(stored))) or [0]
            for position, entry in enumerate(stored):
                for child in repeat.children:
                    if isinstance(entry, dict) and child.variable in entry:
                        self.initial[entry_name(repeat, position, child)] = entry[child.variable]
        self.entries[repeat.variable] = positions
        for position in positions:
            for child in repeat.children:
                field = self._field(child)
                if field is not None:
                    name = entry_name(repeat, position, child)
                    self.fields[name] = field
                    self._entry_names.add(name)

    def entry_field(self, repeat: Question, position: int | str, child: Question):
        """Return the bound field of a child question in one entry (a blank one for the
        template the browser copies when an entry is added)."""
        name = entry_name(repeat, position, child)
        if name in self.fields:
            return self[name]
        return forms.BoundField(self, self._field(child), name)

    def _add_fields(self, question: Question) -> None:
        if question.type == Type.GRID:
            for row in question.rows:
                self.fields[row.variable] = forms.ChoiceField(
                    label=self.text(row.label),
                    required=question.required,
                    error_messages={"required": gettext_lazy("Please answer this question.")},
                    choices=self._choices(question),
                    widget=forms.RadioSelect,
                )
            return
        field = self._field(question)
        if field is not None:
            self.fields[question.variable] = field

    def _field(self, question: Question) -> forms.Field | None:
        """Return the field that asks `question` (None for a note or a grid)."""
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
        if kind in (Type.GRID, Type.NOTE):
            return None
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
        elif kind == Type.TIME:
            field = forms.TimeField(
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                input_formats=["%H:%M", "%H:%M:%S"],
                **common,
            )
        elif kind == Type.DATETIME:
            field = forms.DateTimeField(
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
                input_formats=[DATETIME_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
                **common,
            )
        elif kind == Type.LONG_TEXT:
            field = NoNulCharField(
                max_length=MAX_LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4}), **common
            )
        else:
            field = NoNulCharField(max_length=MAX_TEXT, **common)
        return field

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
        if question.choice_filter:
            # The browser offers only the choices that pass; the server checks again.
            block["choice_filter"] = json.dumps(tree_as_data(question.choice_filter))
            block["choice_rows"] = json.dumps(
                {choice.value: list(choice.filters) for choice in question.choices}
            )
        if question.children:
            block["entries"] = [
                self._entry_block(question, position, number, current)
                for number, position in enumerate(self.entries[question.variable], 1)
            ]
            block["template"] = self._entry_block(question, "__index__", 0, current, blank=True)
            block["max_entries"] = MAX_ENTRIES
        elif question.type == Type.GRID:
            block["scale"] = self._choices(question)
            block["rows"] = [self[row.variable] for row in question.rows]
        elif question.type != Type.NOTE:
            block["field"] = self[question.variable]
        return block

    def _entry_block(
        self,
        repeat: Question,
        position: int | str,
        number: int,
        current: dict[str, Any],
        *,
        blank: bool = False,
    ) -> dict[str, Any]:
        """Return what one entry of a repeat needs to show: its children's blocks."""
        entry = {} if blank else self._entry_values(repeat, position)
        context = flow.entry_context(current, entry)
        children = []
        for child in repeat.children:
            children.append(
                {
                    "question": child,
                    "label": self.text(child.label),
                    "hint": self.text(child.hint),
                    "relevant": json.dumps(tree_as_data(child.relevant)) if child.relevant else "",
                    "shown": flow.is_relevant(child, context, self.known),
                    "required": child.required,
                    "field": None
                    if child.type == Type.NOTE
                    else self.entry_field(repeat, position, child),
                }
            )
        return {
            "position": position,
            "number": number,
            "prefix": entry_name(repeat, position, None),
            "children": children,
        }

    def _entry_values(self, repeat: Question, position: int | str) -> dict[str, Any]:
        """The answers of one entry as the form holds them (posted, or stored)."""
        values = {}
        for child in repeat.children:
            name = entry_name(repeat, position, child)
            if name not in self.fields:
                continue
            if self.is_bound:
                raw = self.fields[name].widget.value_from_datadict(
                    self.data, self.files, self.add_prefix(name)
                )
            else:
                raw = self.initial.get(name)
            if raw not in (None, "", []):
                values[child.variable] = raw
        return values

    def is_shown(self, question: Question, current: dict[str, Any]) -> bool:
        """Return whether the question shows, given the answers `_current` returned."""
        return flow.is_relevant(question, current, self.known)

    def _current(self) -> dict[str, Any]:
        """Answers so far, with this page's posted values when the form is bound."""
        if not self.is_bound:
            return {**self.answers}
        current = dict(self.answers)
        for name, field in self.fields.items():
            if (
                name.count(ENTRY_SEPARATOR) == 2
                and name.partition(ENTRY_SEPARATOR)[0] in self.entries
            ):
                continue  # an entry's answer: its repeat's value below
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if raw not in (None, "", []):
                current[name] = raw
        for question in self.questions:
            if question.children:
                current[question.variable] = [
                    entry
                    for position in self.entries[question.variable]
                    if (entry := self._entry_values(question, position))
                ]
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
            if question.children:
                if flow.is_relevant(question, answers, self.known):
                    entries = self._clean_entries(question, cleaned, answers)
                    answers[question.variable] = result[question.variable] = entries
                else:
                    for position in self.entries[question.variable]:
                        for child in question.children:
                            self.errors.pop(entry_name(question, position, child), None)
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

    def _clean_entries(
        self, repeat: Question, cleaned: dict[str, Any], answers: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Return the repeat's entries as stored: each entry's answers, checked like a
        page's (types, required, constraints, skip logic read within the entry); an entry
        left blank is no entry."""
        entries = []
        for position in self.entries[repeat.variable]:
            names = {
                child.variable: entry_name(repeat, position, child)
                for child in repeat.children
                if child.answer_names
            }
            raw = self._entry_values(repeat, position)
            if not raw:
                for name in names.values():
                    self.errors.pop(name, None)
                continue
            entry: dict[str, Any] = {}
            for child in repeat.children:
                name = names.get(child.variable)
                if name is None:
                    continue
                context = flow.entry_context(answers, entry)
                if not flow.is_relevant(child, context, self.known):
                    self.errors.pop(name, None)
                    continue
                if name in self.errors:
                    continue
                value = _storable(cleaned.get(name))
                if value in (None, "", []):
                    if child.required:
                        self.add_error(name, _("Please answer this question."))
                    continue
                if self._check(child, name, value, context):
                    entry[child.variable] = value
            entries.append(entry)
        return entries

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
        if question.choice_filter:
            evaluator = Evaluator({**self.known, **answers})
            tree = parse(question.choice_filter)
            rows = {choice.value: choice.filters for choice in question.choices}
            items = value if isinstance(value, list) else [value]
            if not all(evaluator.passes(tree, rows.get(item, ()), item) for item in items):
                self.add_error(name, _("This choice is not offered given the answers before it."))
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


def entry_name(repeat: Question, position: int | str, child: Question | None) -> str:
    """Return the form name of a child question in one entry of a repeat (its prefix
    when `child` is None)."""
    prefix = f"{repeat.variable}{ENTRY_SEPARATOR}{position}{ENTRY_SEPARATOR}"
    return prefix if child is None else prefix + child.variable


def entry_positions(data: Any, variable: str) -> list[int]:
    """Return the positions of a repeat's entries posted (each entry posts its own, under
    the repeat's name), in order, without repeats; at most MAX_ENTRIES."""
    values = data.getlist(variable) if hasattr(data, "getlist") else data.get(variable, [])
    if isinstance(values, str | int):
        values = [values]
    positions: list[int] = []
    for value in values:
        text = str(value)
        if text.isascii() and text.isdigit() and len(text) <= 4 and int(text) not in positions:
            positions.append(int(text))
    return positions[:MAX_ENTRIES]


PIPED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


def piped(text: str, questionnaire: Questionnaire, answers: dict[str, Any], language: str) -> str:
    """Return a text with each ``${name}`` replaced by that answer: a choice by its label,
    a number as written, a repeat by its number of entries, nothing when unanswered."""

    def value(match: re.Match) -> str:
        name = match[1]
        answer = answers.get(name)
        if answer in (None, "", []):
            return ""
        question = questionnaire.question_of(name)
        if question is not None and question.choices:
            labels = {c.value: questionnaire.text(c.label, language) for c in question.choices}
            items = answer if isinstance(answer, list) else [answer]
            return ", ".join(labels.get(str(item), str(item)) for item in items)
        if isinstance(answer, list):
            if answer and isinstance(answer[0], dict):
                return str(len(answer))
            return ", ".join(str(item) for item in answer)
        if isinstance(answer, float) and answer.is_integer():
            return str(int(answer))
        return str(answer)

    return PIPED.sub(value, text)


def _searchable() -> dict[str, str]:
    """Return the attributes that give a long list its search box (form.js)."""
    return {"data-searchable": "true", "data-search-label": _("Search the list")}


def _whole(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _storable(value: Any) -> Any:
    """Return a cleaned value as it is stored in the submission's JSON document.

    A date and time is the wall-clock time the respondent gave (no offset), to the second.
    """
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value
