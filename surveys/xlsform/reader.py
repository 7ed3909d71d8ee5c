"""Read an XLSForm (.xlsx, .xls or .csv) into a SurveyDefinition.

pyxform does the parsing: it reads the workbook, resolves type aliases, groups and
choice lists, and rejects what is not XLSForm at all. This module then maps its result
onto the question types this system runs, checks that every text is present in every
language and that every expression parses, and reports every problem with the row of the
survey sheet it comes from. Problems are written in the language active while the form is
read (the user's interface language in the browser, English on the command line), each
with its `Place`, so that the import report shows the sheet, row and column apart.

Conventions beyond the XLSForm specification (columns that other tools ignore):
``min_value`` / ``max_value`` (range of a number question), ``min_choices`` /
``max_choices`` (multiple choice), ``attention_check`` (what an attentive respondent's
answer meets, checked by quality control), ``screening`` (an eligibility condition on the
question's own answer), ``measure`` (nominal, ordinal or scale, for statistics packages;
on a grid, on its group's row); in the settings sheet ``sample_target``, ``fieldwork_start`` and
``fieldwork_end``. A group with ``appearance`` ``table-list`` of single-choice questions
on one list is a grid.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import re
import zipfile
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf.locale import LANG_INFO
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from fieldwork.formulas import restore
from surveys import limits
from surveys.definition import (
    CONTROL_CHARACTERS,
    MEASURES_BY_TYPE,
    SERVER_FILLED_TYPES,
    ChoiceDef,
    ChoiceListDef,
    GridRowDef,
    PageDef,
    QuestionDef,
    SurveyDefinition,
    Translations,
)
from surveys.errors import SurveyError
from surveys.expressions import (
    ExpressionError,
    UnsupportedExpression,
    parse,
    references,
    validate,
)
from surveys.xlsform.writer import generated_parts, split_constraint, split_message

SUPPORTED_SUFFIXES = (".xlsx", ".xls", ".csv")

# pyxform's JSON type -> this system's question type.
QUESTION_TYPES = {
    "select one": "single",
    "select all that apply": "multiple",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "text": "text",
    "string": "text",
    "date": "date",
    "time": "time",
    "dateTime": "datetime",
    "note": "note",
    # A phone number is a text (ODK Collect only brings up a keypad of digits for it).
    "phone number": "text",
    "calculate": "calculate",
    # Metadata, filled by the server.
    "start": "start",
    "end": "end",
    "today": "today",
    "deviceid": "deviceid",
    "username": "username",
}
# Types a question inside a repeat may have.
REPEATABLE_TYPES = ("single", "multiple", "integer", "decimal", "text", "long_text", "date")
REPEATABLE_TYPES += ("time", "datetime", "note")
# Languages that XLSForms name without a code and Django names otherwise (or not at all).
LANGUAGE_NAMES = {"chinese": "zh-hans", "mandarin": "zh-hans", "cantonese": "zh-hant"}
# Choices-sheet columns that are not a choice_filter's to read.
CHOICE_COLUMNS = ("name", "label", "list_name", "list name", "media", "image", "audio", "video")
# Rows pyxform adds to a table-list group to draw its header; they carry no answers.
GENERATED_PREFIXES = ("generated_table_list_label_", "reserved_name_for_field_list_labels_")
LANGUAGE_HEADER = re.compile(
    r"^\s*(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$"
)
TRUE_VALUES = {"yes", "true", "true()", "1"}
FALSE_VALUES = {"no", "false", "false()", "0"}
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
MAX_NAME = 100
MAX_APPEARANCE = 100
# Bounds of the database's DecimalField(max_digits=20, decimal_places=6).
MAX_RANGE = Decimal("1e14")
# Columns a form may carry that this system does not use: reported, not silently lost.
IGNORED_COLUMNS = (
    "default",
    "media",
    "image",
    "audio",
    "video",
    "read_only",
    "readonly",
    "trigger",
    "repeat_count",
    "parameters",
    "required_message",
    "guidance_hint",
)


@dataclass(frozen=True)
class Place:
    """Where a problem is in the form: a sheet, a row (and the name it holds), columns.

    Written out (`str`) in the active language, as each problem's report line starts:
    "survey sheet, row 12 (age), column 'constraint'".
    """

    sheet: str
    row: int | None = None
    name: str = ""
    choice_list: str | None = None
    choice: str | None = None
    columns: tuple[str, ...] = ()

    def column(self, *columns: str) -> Place:
        return replace(self, columns=columns)

    @property
    def named(self) -> str:
        """What the row holds: a question's or page's name, or a choice of a list."""
        if self.choice_list is not None and self.choice is not None:
            return _("choice list '%(list)s', choice '%(choice)s'") % {
                "list": self.choice_list,
                "choice": self.choice,
            }
        if self.choice_list is not None:
            return _("choice list '%(list)s'") % {"list": self.choice_list}
        return self.name

    def __str__(self) -> str:
        values = {"sheet": self.sheet, "row": self.row, "name": self.named}
        if self.row and values["name"]:
            text = _("%(sheet)s sheet, row %(row)s (%(name)s)") % values
        elif self.row:
            text = _("%(sheet)s sheet, row %(row)s") % values
        elif values["name"]:
            text = _("%(sheet)s sheet (%(name)s)") % values
        else:
            text = _("%(sheet)s sheet") % values
        if len(self.columns) == 1:
            return _("%(where)s, column %(column)s") % {
                "where": text,
                "column": _quoted(self.columns[0]),
            }
        if self.columns:
            return _("%(where)s, columns %(columns)s") % {
                "where": text,
                "columns": ", ".join(_quoted(column) for column in self.columns),
            }
        return text


class Problem(str):
    """One line of an import report, in the language active when it was found, with the
    place in the form it names (None when it is about the whole file).

    The place is written out when the line is, in the same language: `where` as the line
    starts with it, `named` as the report's row column shows it.
    """

    place: Place | None
    where: str
    named: str

    def __new__(cls, text: str, place: Place | None = None) -> Problem:
        line = super().__new__(cls, text)
        line.place = place
        line.where = str(place) if place is not None else ""
        line.named = place.named if place is not None else ""
        return line


def _problem(place: Place | str, message: str, **values: Any) -> Problem:
    """Return `message` (translated, with a %(where)s) said of `place`."""
    return Problem(
        message % {"where": place, **values}, place if isinstance(place, Place) else None
    )


def _quoted(text: str) -> str:
    """Return a column name, question name or value quoted as the active language does."""
    # Translators: quotes around a column name, a question name or a value of the form.
    return _("'%(text)s'") % {"text": text}


class XLSFormError(SurveyError):
    """The form cannot be imported; `errors` lists every reason, one line each."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__([_readable(error) for error in errors])


@dataclass
class ReadResult:
    definition: SurveyDefinition
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# What --skip-unsupported leaves out, and what each piece means for the form: one list,
# filled by `_Reader._leave_out` (a question type, a group, a constraint, a relevant).
# Lazy: each line is written in the language active when the form is read.
LEFT_OUT_EFFECT = {
    "constraint": gettext_lazy(
        "%(where)s: %(what)s; the question is kept without it: any answer of its type is accepted"
    ),
    "relevant": gettext_lazy(
        "%(where)s: %(what)s; the question is kept without it: it is asked of everyone"
    ),
    "screening": gettext_lazy(
        "%(where)s: %(what)s; the question is kept without it: its answer screens no one out"
    ),
    "attention_check": gettext_lazy(
        "%(where)s: %(what)s; the question is kept without it: its answer is not checked"
    ),
}


def language_code(header: str) -> str | None:
    """Return the code of an XLSForm language header: 'Kazakh (kk)' or 'English'."""
    match = LANGUAGE_HEADER.match(header)
    if match:
        code = match["code"].lower().replace("_", "-")
        # Our export names a language by the code ODK validates ('Simplified Chinese
        # (zh)'); the name says which of the code's variants it is.
        wanted = match["name"].strip().lower()
        for variant, info in LANG_INFO.items():
            if (
                variant.split("-")[0] == code
                and info.get("name", "").lower() == wanted
                and "fallback" not in info
            ):
                return variant
        return code
    wanted = header.strip().lower()
    if wanted in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[wanted]
    for code, info in LANG_INFO.items():
        if info.get("name", "").lower() == wanted and "fallback" not in info:
            return code
    return None


class _Reader:
    def __init__(self, path: Path, skip_unsupported: bool) -> None:
        self.path = path
        self.skip_unsupported = skip_unsupported
        self.errors: list[str] = []
        self.skipped: list[str] = []
        self.skipped_names: set[str] = set()
        self.notes: list[str] = []
        self.rows: dict[str, int] = {}
        self.language_by_header: dict[str, str] = {}
        self.languages: list[str] = []
        self.used_lists: dict[str, list[dict]] = {}
        self.list_rows: dict[str, int] = {}
        self.choice_rows: dict[tuple[str, str], int] = {}
        # The lists a choice_filter reads, whose other columns are kept with each choice.
        self.filtered_lists: set[str] = set()
        self.columns: dict[str, list[str]] = {}
        self.bad_languages: set[str] = set()

    # Entry point ------------------------------------------------------------------

    def read(self) -> ReadResult:
        workbook = self._load_workbook()
        raw = copy.deepcopy(workbook)
        try:
            form = workbook_to_json(
                workbook_dict=workbook,
                form_name="data",
                fallback_form_name=self.path.stem,
                warnings=[],
            )
        except PyXFormError as exc:  # with what the cells' own checks found
            raise XLSFormError([*self.errors, _one_line(str(exc))]) from None
        except Exception as exc:  # pyxform raises bare exceptions on some malformed sheets
            raise XLSFormError(
                [
                    *self.errors,
                    _("%(file)s: the form could not be read: %(reason)s")
                    % {"file": self.path.name, "reason": _one_line(str(exc))},
                ]
            ) from None

        self._index_rows(raw)
        self._read_languages(raw, form)
        settings = (raw.settings or [{}])[0] if raw.settings else {}
        default_language = self._default_language(settings)
        title = self._title(settings, form)
        pages = self._pages(form.get("children", []))
        choice_lists = self._choice_lists(form.get("choices") or {})
        sample_target, start, end = self._fieldwork(settings)
        definition = SurveyDefinition(
            title=title,
            languages=tuple(self.languages),
            default_language=default_language,
            pages=tuple(pages),
            choice_lists=tuple(choice_lists),
            version=str(settings.get("version", "") or "").strip(),
            sample_target=sample_target,
            fieldwork_start=start,
            fieldwork_end=end,
            estimated_minutes=self._estimated_minutes(settings),
            consent=self._consent(settings),
        )
        if len(definition.version) > 50:
            self.errors.append(
                _problem(
                    Place("settings", 2, columns=("version",)),
                    _("%(where)s: version is longer than 50 characters"),
                )
            )
        self._note_ignored_columns(raw.survey or [])
        # Every check runs whatever the others found, so that one report lists every
        # problem (an expression error too, beside a missing translation).
        self._check_variables(definition)
        definition = self._drop_dependants(definition)
        if not definition.pages:
            self.errors.append(
                _("%(file)s: the form has no questions this system can import")
                % {"file": self.path.name}
            )
        definition = self._check_expressions(definition)
        if self.errors:
            raise XLSFormError(list(dict.fromkeys(self.errors)))
        return ReadResult(definition, self.skipped, self.notes)

    def _load_workbook(self):
        if not self.path.is_file():
            raise XLSFormError([_("%(file)s: no such file") % {"file": self.path}])
        if self.path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise XLSFormError(
                [
                    _("%(file)s: not an XLSForm; expected a .xlsx, .xls or .csv file")
                    % {"file": self.path.name}
                ]
            )
        self._check_size()
        try:
            workbook = get_xlsform(str(self.path))
        except Exception as exc:  # zip, xlrd, csv and decoding errors all mean "not a form"
            raise XLSFormError(
                [
                    _("%(file)s: not a readable %(suffix)s spreadsheet (%(reason)s)")
                    % {
                        "file": self.path.name,
                        "suffix": self.path.suffix,
                        "reason": _one_line(str(exc)) or type(exc).__name__,
                    }
                ]
            ) from None
        if not workbook.survey:
            raise XLSFormError(
                [
                    _("%(file)s: the form has no survey sheet, or it is empty")
                    % {"file": self.path.name}
                ]
            )
        too_long = [
            Problem(limits.too_many_rows(sheet, len(getattr(workbook, sheet) or [])), Place(sheet))
            for sheet in SHEETS
            if len(getattr(workbook, sheet) or []) > limits.MAX_SHEET_ROWS
        ]
        if too_long:
            raise XLSFormError(too_long)
        if self.path.suffix.lower() == ".csv":
            _restore_formulas(workbook)
        self.errors.extend(_check_cells(workbook))
        _keep_typographic_quotes(workbook)
        return workbook

    def _check_size(self) -> None:
        """Refuse a file too large to read, or an .xlsx that unpacks to too much."""
        size = self.path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise XLSFormError([limits.file_too_large(self.path.name, size)])
        if self.path.suffix.lower() != ".xlsx":
            return
        try:
            with zipfile.ZipFile(self.path) as archive:
                unpacked = sum(member.file_size for member in archive.infolist())
        except (zipfile.BadZipFile, OSError):
            return  # get_xlsform says what is wrong with it
        if unpacked > limits.MAX_UNPACKED_BYTES:
            raise XLSFormError([limits.unpacked_too_large(self.path.name, unpacked)])

    # Rows and languages -------------------------------------------------------------

    def _index_rows(self, raw) -> None:
        """Remember the spreadsheet row of each name and choice: the header is row 1."""
        for index, row in enumerate(raw.survey or []):
            name = str(row.get("name", "") or "").strip()
            if name and name not in self.rows:
                self.rows[name] = index + 2
        for index, row in enumerate(raw.choices or []):
            key = (
                str(row.get("list_name", "") or "").strip(),
                str(row.get("name", "") or "").strip(),
            )
            self.choice_rows.setdefault(key, index + 2)
        self.columns = {
            sheet: list(
                dict.fromkeys(
                    column
                    for header in getattr(raw, f"{sheet}_header", None) or []
                    for column in header
                )
            )
            for sheet in SHEETS
        }

    def _where(self, name: str) -> Place:
        return _at(self.rows.get(name, 0), name)

    def _read_languages(self, raw, form: dict) -> None:
        """Collect the form's languages, in order of first use, from pyxform's texts."""
        headers: list[str] = []

        def collect(element: Any) -> None:
            if isinstance(element, dict):
                for key, value in element.items():
                    if key in ("label", "hint", "jr:constraintMsg") and isinstance(value, dict):
                        headers.extend(value)
                    elif isinstance(value, dict | list):
                        collect(value)
            elif isinstance(element, list):
                for item in element:
                    collect(item)

        for header_row in raw.settings_header or []:
            headers.extend(
                key.partition("::")[2] for key in header_row if key.startswith("form_title::")
            )
        collect(form.get("children", []))
        collect(form.get("choices", {}))
        for header in headers:
            language = header.strip()
            if (
                language in self.language_by_header
                or language in self.bad_languages
                or language == "default"
            ):
                continue
            code = language_code(language)
            if code is None:
                self.bad_languages.add(language)
                self.errors.append(
                    _problem(
                        self._language_columns(language),
                        _(
                            "%(where)s: language '%(language)s' in a column header: name the "
                            "language as 'Name (code)', for example 'Kazakh (kk)'"
                        ),
                        language=header,
                    )
                )
                continue
            self.language_by_header[language] = code
            if not LANGUAGE_HEADER.match(language):
                # pyxform accepts a name alone; ODK tools want the code: say so, once.
                self.notes.append(
                    _problem(
                        self._language_columns(language),
                        _(
                            "%(where)s: language '%(language)s' is read as %(name)s; name it "
                            "'%(header)s' in the column headers"
                        ),
                        language=language,
                        name=_language_name(code),
                        header=_language_label(code),
                    )
                )
            if code not in self.languages:
                self.languages.append(code)

    def _column(self, what: str, code: str) -> str:
        """Return the column holding `what` in language `code`: 'label::Russian (ru)'."""
        header = _header_of(self.language_by_header, code)
        return what if header == code and len(self.languages) == 1 else f"{what}::{header}"

    def _language_columns(self, language: str) -> Place | str:
        """Return where the columns of one language are: "survey sheet, column '...'"."""
        places = []
        for sheet, columns in self.columns.items():
            named = [c for c in columns if _language_of_column(c) == language]
            if named:
                places.append(Place(sheet, columns=tuple(named)))
        if len(places) == 1:
            return places[0]
        return "; ".join(map(str, places)) or _("the column headers ending '::%(language)s'") % {
            "language": language
        }

    def _default_language(self, settings: dict) -> str:
        header = str(settings.get("default_language", "") or "").strip()
        if not self.languages:
            # A form without language columns is in one language: the default one if it
            # is named, English otherwise (XLSForm's plain 'label' column).
            code = language_code(header) if header and header != "default" else None
            self.languages = [code or "en"]
            if not code:
                self.notes.append(
                    _("labels have no language column; read as %(language)s")
                    % {"language": _language_name("en")}
                )
            return self.languages[0]
        if not header or header == "default":
            return self.languages[0]
        code = self.language_by_header.get(header) or language_code(header)
        if code not in self.languages:
            self.errors.append(
                _problem(
                    Place("settings", 2, columns=("default_language",)),
                    _("%(where)s: '%(language)s' is not one of the form's languages"),
                    language=header,
                )
            )
            return self.languages[0]
        return code

    def translations(self, value: Any, what: str, where: Place, *, required: bool) -> Translations:
        """Turn a pyxform label (text or {language: text}) into {code: text}, checked."""
        if value in (None, "", {}):
            if required:
                self.errors.append(_problem(where, _("%(where)s: %(what)s is missing"), what=what))
            return {}
        if isinstance(value, str):
            if len(self.languages) == 1:
                return self.translations({"default": value}, what, where, required=required)
            self.errors.append(
                _problem(
                    where,
                    _("%(where)s: %(what)s has no language; use label::Language (code) columns"),
                    what=what,
                )
            )
            return {}
        texts: Translations = {}
        for header, text in value.items():
            text = str(text or "").strip()
            if not text:
                continue
            code = self.language_by_header.get(header)
            if code is None and len(self.languages) == 1 and header == "default":
                code = self.languages[0]
            if code is None:
                if header.strip() not in self.bad_languages:  # reported once, with its columns
                    self.errors.append(
                        _problem(
                            where.column(f"{what}::{header}"),
                            _("%(where)s: %(what)s has a column without a language"),
                            what=what,
                        )
                    )
                continue
            if CONTROL_CHARACTERS.search(text):
                self.errors.append(
                    _problem(
                        where.column(f"{what}::{header}"),
                        _("%(where)s: %(what)s contains a control character"),
                        what=what,
                    )
                )
                continue
            texts[code] = _typographic_quotes(text)
        if texts or required:
            missing = [code for code in self.languages if code not in texts]
            if missing:
                self.errors.append(
                    _problem(
                        where.column(*(self._column(what, code) for code in missing)),
                        _("%(where)s: %(what)s has no text in %(languages)s"),
                        what=what,
                        languages=", ".join(_language_name(code) for code in missing),
                    )
                )
        return texts

    # Settings -----------------------------------------------------------------------

    def _title(self, settings: dict, form: dict) -> Translations:
        # survey_title::Language (code) is what our export writes (pyxform cannot convert a
        # translated form_title); form_title::Language (code) is read too.
        for column in ("survey_title", "form_title"):
            translated = {
                key.partition("::")[2].strip(): value
                for key, value in settings.items()
                if key.startswith(f"{column}::")
            }
            if translated:
                return self.translations(translated, column, Place("settings", 2), required=True)
        plain = _typographic_quotes(str(settings.get("form_title", "") or "").strip())
        if len(self.languages) == 1:
            return {self.languages[0]: plain or str(form.get("title") or self.path.stem)}
        default = self._default_language(settings)
        if not plain:
            plain = str(form.get("title") or self.path.stem)
        self.notes.append(
            _problem(
                Place("settings"),
                _(
                    "%(where)s: form_title is in %(language)s only; translate it in the admin "
                    "(or add form_title::Language (code) columns) before going live"
                ),
                language=_language_name(default),
            )
        )
        return {default: plain}

    def _consent(self, settings: dict) -> Translations:
        """The welcome page's consent text: `consent::Language (code)`, or `consent` alone
        in a one-language form; in every language of the form when it is there at all."""
        translated = {
            key.partition("::")[2].strip(): value
            for key, value in settings.items()
            if key.startswith("consent::")
        }
        plain = str(settings.get("consent", "") or "").strip()
        if not translated and plain:
            translated = plain
        return self.translations(translated, "consent", Place("settings", 2), required=False)

    def _estimated_minutes(self, settings: dict) -> int | None:
        raw = str(settings.get("estimated_minutes", "") or "").strip()
        if not raw:
            return None
        try:
            minutes = int(float(raw)) if float(raw).is_integer() else None
        except ValueError:
            minutes = None
        if minutes is None or not 1 <= minutes <= 600:
            self.errors.append(
                _problem(
                    Place("settings", 2, columns=("estimated_minutes",)),
                    _(
                        "%(where)s: estimated_minutes '%(value)s' is not a whole number of "
                        "minutes (1 to 600)"
                    ),
                    value=raw,
                )
            )
            return None
        return minutes

    def _fieldwork(self, settings: dict) -> tuple[int, datetime.date | None, datetime.date | None]:
        target = 0
        raw_target = str(settings.get("sample_target", "") or "").strip()
        if raw_target:
            try:
                target = int(raw_target)
                if not 0 <= target <= 2_000_000_000:
                    raise ValueError
            except ValueError:
                target = 0
                self.errors.append(
                    _problem(
                        Place("settings", 2, columns=("sample_target",)),
                        _(
                            "%(where)s: sample_target '%(value)s' is not a whole number of "
                            "questionnaires"
                        ),
                        value=raw_target,
                    )
                )
        dates = []
        for key in ("fieldwork_start", "fieldwork_end"):
            raw_date = str(settings.get(key, "") or "").strip()[:10]
            try:
                dates.append(datetime.date.fromisoformat(raw_date) if raw_date else None)
            except ValueError:
                self.errors.append(
                    _problem(
                        Place("settings", 2, columns=(key,)),
                        _("%(where)s: %(column)s '%(value)s' is not a date (YYYY-MM-DD)"),
                        column=key,
                        value=raw_date,
                    )
                )
                dates.append(None)
        start, end = dates
        if start and end and end < start:
            self.errors.append(
                _problem(
                    Place("settings", 2, columns=("fieldwork_end",)),
                    _("%(where)s: fieldwork_end is before fieldwork_start"),
                )
            )
        return target, start, end

    # Pages and questions ------------------------------------------------------------

    def _pages(self, children: list[dict]) -> list[PageDef]:
        pages: list[PageDef] = []
        loose: list[QuestionDef] = []
        taken = {c.get("name") for c in children if c.get("type") == "group"}

        def flush_loose() -> None:
            if loose:
                name = f"page{len(pages) + 1}"
                while name in taken:
                    name += "_"
                taken.add(name)
                pages.append(PageDef(name=name, title={}, questions=tuple(loose), row=loose[0].row))
                loose.clear()

        for child in children:
            if _is_meta(child):
                continue
            if child.get("type") == "group" and not _is_table_list(child):
                flush_loose()
                name = child["name"]
                where = self._where(name)
                questions = self._questions(child.get("children", []), relevant="")
                if not questions:
                    self.notes.append(
                        _problem(where, _("%(where)s: the group holds no questions; left out"))
                    )
                    continue
                pages.append(
                    PageDef(
                        name=name,
                        title=self.translations(child.get("label"), "label", where, required=False),
                        questions=tuple(questions),
                        relevant=_bind(child, "relevant"),
                        row=self.rows.get(name, 0),
                    )
                )
            else:
                loose.extend(self._questions([child], relevant=""))
        flush_loose()
        for page in pages:
            answers = sum(len(q.rows) if q.rows else q.type != "note" for q in page.questions)
            if answers > limits.MAX_ANSWERS_PER_PAGE:
                where = _at(page.row, page.name)
                self.errors.append(Problem(limits.page_too_long(str(where), answers), where))
        return pages

    def _questions(self, children: list[dict], relevant: str) -> list[QuestionDef]:
        """Map pyxform elements to questions; nested groups are flattened into the page."""
        questions: list[QuestionDef] = []
        for child in children:
            if _is_meta(child) or child.get("name", "").startswith(GENERATED_PREFIXES):
                continue
            kind = child.get("type", "")
            if kind == "group" and _is_table_list(child):
                grid = self._grid(child, relevant)
                if grid:
                    questions.append(grid)
            elif kind == "group":
                inner = _and(relevant, _bind(child, "relevant"))
                questions.extend(self._questions(child.get("children", []), inner))
            elif kind == "repeat":
                repeat = self._repeat(child, relevant)
                if repeat:
                    questions.append(repeat)
            elif kind == "loop":
                self._unsupported(child, _("loops"))
            else:
                question = self._question(child, relevant)
                if question:
                    questions.append(question)
        return questions

    def _leave_out(self, where: Place, piece: str, what: str) -> None:
        """List one piece --skip-unsupported leaves out: a question (or group) or one of
        a question's expressions (`piece` is the column), with its row and the reason."""
        if piece == "question":
            self.skipped.append(Problem(f"{where}: {what}", where))
        else:
            place = where.column(piece)
            self.skipped.append(_problem(place, LEFT_OUT_EFFECT[piece], what=what))

    def _unsupported(self, element: dict, what: str) -> None:
        """A question type or group this system does not run: left out whole, with the
        questions that read it (`_drop_dependants`), under --skip-unsupported."""
        where = self._where(element.get("name", "?"))
        self.skipped_names.add(element.get("name", ""))
        for child in element.get("children", []):
            self.skipped_names.add(child.get("name", ""))
        if self.skip_unsupported:
            self._leave_out(where, "question", what)
        else:
            self.errors.append(
                _problem(
                    where,
                    _(
                        "%(where)s: %(what)s are not supported (--skip-unsupported, or 'Skip "
                        "unsupported items' in the browser, imports the rest)"
                    ),
                    what=what,
                )
            )

    def _question(self, element: dict, group_relevant: str) -> QuestionDef | None:
        name = element.get("name", "")
        kind = element.get("type", "")
        where = self._where(name)
        qtype = QUESTION_TYPES.get(kind)
        if qtype is None:
            self._unsupported(element, _("questions of type '%(type)s'") % {"type": kind})
            return None
        if qtype in SERVER_FILLED_TYPES:
            return self._server_filled(element, qtype, group_relevant)
        appearance = str(element.get("control", {}).get("appearance", "") or "").strip()
        if len(appearance) > MAX_APPEARANCE:
            self.errors.append(
                _problem(
                    where.column("appearance"),
                    _("%(where)s: longer than %(limit)s characters"),
                    limit=MAX_APPEARANCE,
                )
            )
            appearance = ""
        if qtype == "text" and "multiline" in appearance.split():
            qtype = "long_text"
        choice_list = ""
        if qtype in ("single", "multiple"):
            choice_list = self._use_list(element, where)
            if choice_list is None:
                return None
        choice_filter = str(element.get("choice_filter", "") or "").strip()
        if choice_filter and choice_list:
            self.filtered_lists.add(choice_list)
        if choice_filter and not choice_list:
            self.errors.append(
                _problem(
                    where.column("choice_filter"),
                    _("%(where)s: only a select has choices to filter"),
                )
            )
            choice_filter = ""
        label = self.translations(element.get("label"), "label", where, required=True)
        question = QuestionDef(
            variable=name,
            type=qtype,
            label=label,
            hint=self.translations(element.get("hint"), "hint", where, required=False),
            required=qtype != "note" and self._required(element, where),
            relevant=_and(group_relevant, _bind(element, "relevant")),
            constraint=_bind(element, "constraint"),
            constraint_message=self.translations(
                element.get("bind", {}).get("jr:constraintMsg"),
                "constraint_message",
                where,
                required=False,
            ),
            screening=str(element.get("screening", "") or "").strip(),
            attention_check=str(element.get("attention_check", "") or "").strip(),
            appearance=appearance,
            choice_list=choice_list,
            min_value=self._number(element, "min_value", where)
            if qtype in ("integer", "decimal")
            else None,
            max_value=self._number(element, "max_value", where)
            if qtype in ("integer", "decimal")
            else None,
            min_choices=self._count(element, "min_choices", where) if qtype == "multiple" else None,
            max_choices=self._count(element, "max_choices", where) if qtype == "multiple" else None,
            measure=self._measure(element, qtype, where),
            choice_filter=choice_filter,
            row=self.rows.get(name, 0),
        )
        # An exported form carries its ranges, choice counts and screening in the
        # constraint too, for ODK (see surveys.xlsform.writer): taken out again here.
        parts = generated_parts(question)
        return replace(
            question,
            constraint=split_constraint(question.constraint, parts),
            constraint_message=split_message(question.constraint_message, question),
        )

    def _server_filled(self, element: dict, qtype: str, group_relevant: str) -> QuestionDef:
        """A metadata question (start, end, today, deviceid, username) or a calculation."""
        name = element.get("name", "")
        where = self._where(name)
        calculation = _bind(element, "calculate")
        if qtype == "calculate" and not calculation:
            self.errors.append(
                _problem(
                    where.column("calculation"), _("%(where)s: a calculate needs its calculation")
                )
            )
        return QuestionDef(
            variable=name,
            type=qtype,
            # A calculation may carry a label (a note of what it is); metadata has none.
            label=self.translations(element.get("label"), "label", where, required=False),
            relevant=_and(group_relevant, _bind(element, "relevant"))
            if qtype == "calculate"
            else "",
            calculation=calculation if qtype == "calculate" else "",
            row=self.rows.get(name, 0),
        )

    def _repeat(self, element: dict, group_relevant: str) -> QuestionDef | None:
        """A repeat group: its questions asked once per entry (a household roster)."""
        name = element.get("name", "")
        where = self._where(name)
        children = []
        for child in element.get("children", []):
            kind = child.get("type", "")
            qtype = QUESTION_TYPES.get(kind, "")
            if kind in ("group", "repeat", "loop") or qtype not in REPEATABLE_TYPES:
                if kind in ("group", "repeat", "loop"):
                    self._unsupported(child, _("groups inside a repeat"))
                else:
                    self._unsupported(
                        child, _("'%(type)s' questions inside a repeat") % {"type": kind}
                    )
                continue
            question = self._question(child, "")
            if question is None:
                continue
            if question.choice_filter:
                self._unsupported(child, _("choice filters inside a repeat"))
                continue
            children.append(question)
        if not children:
            self.notes.append(
                _problem(where, _("%(where)s: the repeat holds no questions; left out"))
            )
            return None
        return QuestionDef(
            variable=name,
            type="repeat",
            label=self.translations(element.get("label"), "label", where, required=True),
            hint=self.translations(element.get("hint"), "hint", where, required=False),
            relevant=_and(group_relevant, _bind(element, "relevant")),
            children=tuple(children),
            row=self.rows.get(name, 0),
        )

    def _grid(self, group: dict, group_relevant: str) -> QuestionDef | None:
        name = group["name"]
        where = self._where(name)
        children = group.get("children", [])
        rows = [c for c in children if not c.get("name", "").startswith(GENERATED_PREFIXES)]
        # pyxform moves a table-list group's label and hint onto a note it generates.
        note = next(
            (c for c in children if c.get("name", "").startswith(GENERATED_PREFIXES[0])), {}
        )
        label = group.get("label") or note.get("label")
        hint = group.get("hint") or note.get("hint")
        lists = {row.get("list_name") or row.get("itemset") for row in rows}
        if rows and all(row.get("type") == "select all that apply" for row in rows):
            self._unsupported(group, _("tables of multiple-choice questions"))
            return None
        if not rows or any(row.get("type") != "select one" for row in rows) or len(lists) != 1:
            self.errors.append(
                _problem(
                    where,
                    _(
                        "%(where)s: a table-list group is a grid and must hold only select_one "
                        "questions on one choice list"
                    ),
                )
            )
            return None
        for row in rows:
            for attribute in ("relevant", "constraint"):
                if _bind(row, attribute):
                    self.errors.append(
                        _problem(
                            self._where(row["name"]).column(attribute),
                            _(
                                "%(where)s: a grid row cannot have its own %(column)s; put it "
                                "on the grid's group"
                            ),
                            column=attribute,
                        )
                    )
        choice_list = self._use_list(rows[0], where)
        if choice_list is None:
            return None
        return QuestionDef(
            variable=name,
            type="grid",
            label=self.translations(label, "label", where, required=True),
            hint=self.translations(hint, "hint", where, required=False),
            required=self._grid_required(rows, where),
            relevant=_and(group_relevant, _bind(group, "relevant")),
            appearance="table-list",
            choice_list=choice_list,
            measure=self._measure(group, "grid", where),
            rows=tuple(
                GridRowDef(
                    variable=row["name"],
                    label=self.translations(
                        row.get("label"), "label", self._where(row["name"]), required=True
                    ),
                    row=self.rows.get(row["name"], 0),
                )
                for row in rows
            ),
            row=self.rows.get(name, 0),
        )

    def _measure(self, element: dict, qtype: str, where: str) -> str:
        """Return the measurement level the form declares (`measure`), checked for the type."""
        value = str(element.get("measure", "") or "").strip().lower()
        if not value:
            return ""
        allowed = MEASURES_BY_TYPE.get(qtype, ())
        if value not in allowed:
            if allowed:
                message = _(
                    "%(where)s: measure '%(value)s' does not fit a %(type)s question; use "
                    "%(allowed)s or leave it empty"
                )
            else:
                message = _("%(where)s: measure '%(value)s' does not fit a %(type)s question")
            self.errors.append(
                _problem(where, message, value=value, type=qtype, allowed=", ".join(allowed))
            )
            return ""
        return value

    def _required(self, element: dict, where: str) -> bool:
        value = _bind(element, "required").lower()
        if value in TRUE_VALUES:
            return True
        if value and value not in FALSE_VALUES:
            self.errors.append(
                _problem(
                    where.column("required"),
                    _(
                        "%(where)s: required '%(value)s' is not supported; use yes or no (a "
                        "condition belongs in relevant or constraint)"
                    ),
                    value=value,
                )
            )
        return False

    def _grid_required(self, rows: list[dict], where: str) -> bool:
        flags = {self._required(row, self._where(row["name"])) for row in rows}
        if len(flags) > 1:
            self.errors.append(
                _problem(where, _("%(where)s: the rows of a grid are all required or none is"))
            )
        return flags == {True}

    def _use_list(self, element: dict, where: str) -> str | None:
        list_name = element.get("list_name") or element.get("itemset") or ""
        if "." in list_name:
            self._unsupported(element, _("choices from an external file"))
            return None
        if not element.get("choices"):
            self.errors.append(
                _problem(
                    where,
                    _("%(where)s: the choice list '%(list)s' is missing or empty"),
                    list=list_name,
                )
            )
            return None
        if any(not choice.get("label") and choice.get("media") for choice in element["choices"]):
            self._unsupported(element, _("choices shown only as images"))
            return None
        self.used_lists.setdefault(list_name, element["choices"])
        self.list_rows.setdefault(list_name, self.rows.get(element.get("name", ""), 0))
        return list_name

    def _number(self, element: dict, key: str, where: str) -> Decimal | None:
        raw = str(element.get(key, "") or "").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.errors.append(
                _problem(
                    where.column(key),
                    _("%(where)s: %(column)s '%(value)s' is not a number"),
                    column=key,
                    value=raw,
                )
            )
            return None
        if abs(value) >= MAX_RANGE or value != value.quantize(Decimal("0.000001")):
            self.errors.append(
                _problem(
                    where.column(key),
                    _(
                        "%(where)s: %(column)s '%(value)s' must be below 10^14 with at most 6 "
                        "decimals"
                    ),
                    column=key,
                    value=raw,
                )
            )
            return None
        return value

    def _count(self, element: dict, key: str, where: str) -> int | None:
        value = self._number(element, key, where)
        if value is None:
            return None
        if value != value.to_integral_value() or value < 0:
            self.errors.append(
                _problem(where.column(key), _("%(where)s: must be a whole number of choices"))
            )
            return None
        return int(value)

    def _choice_lists(self, all_lists: dict[str, list[dict]]) -> list[ChoiceListDef]:
        lists = []
        for name, choices in self.used_lists.items():
            seen: set[str] = set()
            items = []
            listed = all_lists.get(name, choices)
            if len(listed) > limits.MAX_CHOICES_PER_LIST:
                self.errors.append(
                    Problem(
                        limits.too_many_choices(name, len(listed)),
                        Place("choices", choice_list=name),
                    )
                )
                continue
            filtered = name in self.filtered_lists
            for choice in listed:
                value = str(choice.get("name", "")).strip()
                row = self.choice_rows.get((name, value))
                at = Place("choices", row, choice_list=name)
                columns = _choice_columns(choice) if filtered else {}
                if value in seen:
                    index = next(i for i, item in enumerate(items) if item.value == value)
                    if filtered:
                        # Listed again under another filter (allow_choice_duplicates): one
                        # choice, shown when any of its rows passes.
                        items[index] = replace(
                            items[index], filters=(*items[index].filters, columns)
                        )
                        continue
                    self.errors.append(
                        _problem(
                            at.column("name"),
                            _("%(where)s: the value '%(value)s' appears twice"),
                            value=value,
                        )
                    )
                    continue
                seen.add(value)
                items.append(
                    ChoiceDef(
                        value=value,
                        label=self.translations(
                            choice.get("label"),
                            "label",
                            replace(at, choice=value),
                            required=True,
                        ),
                        filters=(columns,) if filtered else (),
                    )
                )
            lists.append(ChoiceListDef(name=name, choices=tuple(items)))
        return sorted(lists, key=lambda choice_list: choice_list.name)

    # Whole-form checks --------------------------------------------------------------

    def _note_ignored_columns(self, survey_rows: list[dict]) -> None:
        rows_by_column: dict[str, list[int]] = {}
        for index, row in enumerate(survey_rows):
            for column, value in row.items():
                base = column.partition("::")[0].strip().lower()
                if base in IGNORED_COLUMNS and str(value or "").strip():
                    rows_by_column.setdefault(base, []).append(index + 2)
        for column, rows in rows_by_column.items():
            shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
            self.notes.append(
                _("the column '%(column)s' is not used by this system (rows %(rows)s)")
                % {"column": column, "rows": shown}
            )

    def _check_names(self, definition: SurveyDefinition) -> None:
        names = [("page", page.name, page.row) for page in definition.pages]
        for question in _with_children(definition.questions()):
            names.append(("variable", question.variable, question.row))
            names += [("variable", row.variable, row.row) for row in question.rows]
        for kind, name, row in names:
            name = name or ""  # a row without a name (pyxform leaves it None)
            if len(name) > MAX_NAME or not NAME.match(name):
                if kind == "page":
                    message = _(
                        "%(where)s: the page name must be at most %(limit)s letters, digits, "
                        "'_', '-' or '.', starting with a letter or '_'"
                    )
                else:
                    message = _(
                        "%(where)s: the variable name must be at most %(limit)s letters, "
                        "digits, '_', '-' or '.', starting with a letter or '_'"
                    )
                self.errors.append(_problem(_at(row, name).column("name"), message, limit=MAX_NAME))
        for choice_list in definition.choice_lists:
            if len(choice_list.name) > MAX_NAME:
                self.errors.append(
                    Problem(
                        _("choice list '%(list)s...': name too long")
                        % {"list": choice_list.name[:40]},
                        Place("choices", choice_list=f"{choice_list.name[:40]}...").column(
                            "list_name"
                        ),
                    )
                )
            for choice in choice_list.choices:
                if not choice.value or len(choice.value) > MAX_NAME:
                    self.errors.append(
                        Problem(
                            _(
                                "choice list '%(list)s': a choice value must have 1 to %(limit)s "
                                "characters ('%(value)s')"
                            )
                            % {
                                "list": choice_list.name,
                                "limit": MAX_NAME,
                                "value": choice.value[:40],
                            },
                            Place(
                                "choices",
                                self.choice_rows.get((choice_list.name, choice.value)),
                                choice_list=choice_list.name,
                            ).column("name"),
                        )
                    )

    def _check_variables(self, definition: SurveyDefinition) -> None:
        self._check_names(definition)
        seen: dict[str, Place] = {}
        for question in _with_children(definition.questions()):
            names = [(question.variable, question.row)]
            names += [(row.variable, row.row) for row in question.rows]
            for name, row in names:
                where = _at(row, name)
                if name in seen:
                    self.errors.append(
                        _problem(
                            where.column("name"),
                            _("%(where)s: the name '%(name)s' is already used at %(other)s"),
                            name=name,
                            other=seen[name],
                        )
                    )
                seen.setdefault(name, where)
            if question.type in ("integer", "decimal"):
                low, high = question.min_value, question.max_value
                if low is not None and high is not None and low > high:
                    self.errors.append(
                        _problem(
                            _at(question.row, question.variable).column("min_value", "max_value"),
                            _("%(where)s: min_value > max_value"),
                        )
                    )
            low, high = question.min_choices, question.max_choices
            if low is not None and high is not None and low > high:
                self.errors.append(
                    _problem(
                        _at(question.row, question.variable).column("min_choices", "max_choices"),
                        _("%(where)s: min_choices > max_choices"),
                    )
                )

    def _drop_dependants(self, definition: SurveyDefinition) -> SurveyDefinition:
        """Leave out, when skipping, the questions that read a skipped question."""
        if not self.skipped_names:
            return definition
        pages = []
        for page in definition.pages:
            needed = _expression_names(page.relevant) & self.skipped_names
            if needed:
                for question in page.questions:
                    self.skipped_names.add(question.variable)
                    self.skipped_names.update(row.variable for row in question.rows)
                self.skipped.append(
                    _problem(
                        _at(page.row, page.name),
                        _(
                            "%(where)s: the page's relevant uses %(names)s, which was skipped; "
                            "its questions are left out too"
                        ),
                        names=", ".join(sorted(needed)),
                    )
                )
                continue
            kept = []
            for question in page.questions:
                needed = _read_names(question) & self.skipped_names
                if not needed:
                    kept.append(question)
                    continue
                self.skipped_names.add(question.variable)
                self.skipped_names.update(row.variable for row in question.rows)
                self.skipped.append(
                    _problem(
                        _at(question.row, question.variable),
                        _("%(where)s: it uses %(names)s, which was skipped"),
                        names=", ".join(sorted(needed)),
                    )
                )
            if kept:
                pages.append(replace(page, questions=tuple(kept)))
        used = {q.choice_list for page in pages for q in page.questions}
        return replace(
            definition,
            pages=tuple(pages),
            choice_lists=tuple(cl for cl in definition.choice_lists if cl.name in used),
        )

    def _check_expressions(self, definition: SurveyDefinition) -> SurveyDefinition:
        """Check every expression; return the definition without those left out.

        An expression this system does not run (UnsupportedExpression: an unknown
        function, a regex() pattern RE2 refuses) is left out alone under
        --skip-unsupported: the question stays, without that constraint or relevant.
        """
        known: set[str] = set()
        pages = []
        for page in definition.pages:
            page_where = _at(page.row, page.name)
            page_relevant = self._check(page.relevant, known, "relevant", page_where, False)
            questions = []
            for question in page.questions:
                where = _at(question.row, question.variable)
                own = {question.variable}
                piped = sorted(_piped_names(question) - known - own)
                if piped:
                    self.errors.append(_not_earlier(where, piped))
                checked = self._check_question(question, known, where)
                calculation = self._check(question.calculation, known, "calculation", where, False)
                inner = set(known)
                children = []
                for child in question.children:
                    at = _at(child.row, child.variable)
                    piped = sorted(_piped_names(child) - inner - {child.variable})
                    if piped:
                        self.errors.append(_not_earlier(at, piped))
                    children.append(self._check_question(child, inner, at))
                    inner |= {child.variable}
                questions.append(
                    replace(checked, calculation=calculation, children=tuple(children))
                )
                known |= own | {row.variable for row in question.rows}
            pages.append(replace(page, relevant=page_relevant, questions=tuple(questions)))
        return replace(definition, pages=tuple(pages))

    def _check_question(self, question: QuestionDef, known: set[str], where: Place) -> QuestionDef:
        """Check a question's own expressions; return it without those left out."""
        own = {question.variable}
        checked = {
            "relevant": self._check(question.relevant, known, "relevant", where, False),
            "constraint": self._check(question.constraint, known | own, "constraint", where, True),
            "screening": self._check(question.screening, known | own, "screening", where, True),
            "attention_check": self._check(
                question.attention_check, known | own, "attention_check", where, True
            ),
        }
        if not checked["constraint"] and question.constraint:
            checked["constraint_message"] = {}
        if question.choice_filter:
            columns = {"name"}
            for choice in self.used_lists.get(question.choice_list, []):
                columns |= set(_choice_columns(choice))
            checked["choice_filter"] = self._check(
                question.choice_filter, known, "choice_filter", where, False, columns=columns
            )
        return replace(question, **checked)

    def _check(
        self,
        text: str,
        known: set[str],
        column: str,
        where: Place,
        allow_current: bool,
        *,
        columns: set[str] | None = None,
    ) -> str:
        """Return `text` if it can be used; '' when it is left out as unsupported."""
        if not text:
            return text
        try:
            validate(text, known, allow_current=allow_current, columns=columns)
        except UnsupportedExpression as exc:
            if self.skip_unsupported:
                self._leave_out(
                    where,
                    column,
                    _("'%(expression)s': %(reason)s") % {"expression": text, "reason": exc},
                )
                return ""
            self.errors.append(
                _problem(
                    where.column(column),
                    _(
                        "%(where)s: '%(expression)s' cannot be used: %(reason)s (use "
                        "--skip-unsupported to import the form without it)"
                    ),
                    expression=text,
                    reason=exc,
                )
            )
        except ExpressionError as exc:
            self.errors.append(
                _problem(
                    where.column(column),
                    _("%(where)s: '%(expression)s' cannot be used: %(reason)s"),
                    expression=text,
                    reason=exc,
                )
            )
        return text


SHEETS = ("survey", "choices", "settings")


def _check_cells(workbook) -> list[str]:
    """Return what is wrong with single cells: a control character (NUL cannot even be
    stored by PostgreSQL), a text longer than limits.MAX_TEXT_LENGTH.

    The cells are mended in `workbook` (the characters dropped, the text cut), so that
    reading goes on and the report lists the form's other problems too.
    """
    errors = []
    for sheet in SHEETS:
        for index, row in enumerate(getattr(workbook, sheet) or []):
            for column, value in list(row.items()):
                where = Place(sheet, index + 2, columns=(column,))
                if CONTROL_CHARACTERS.search(column):
                    errors.append(_problem(where, _("%(where)s: contains a control character")))
                    continue
                if not isinstance(value, str):
                    continue
                if CONTROL_CHARACTERS.search(value):
                    errors.append(_problem(where, _("%(where)s: contains a control character")))
                    value = row[column] = CONTROL_CHARACTERS.sub("", value)
                if len(value) > limits.MAX_TEXT_LENGTH:
                    errors.append(Problem(limits.text_too_long(str(where), len(value)), where))
                    row[column] = value[: limits.MAX_TEXT_LENGTH]
    return errors


# pyxform turns typographic quotes into straight ones in every cell. In texts (labels,
# hints, messages, titles) they are the author's typography, and a form exported and
# imported again must keep them: they cross pyxform as private-use characters and are
# put back in `translations`. Expressions are left to pyxform, which mends a typographic quote
# a word processor typed into a straight one an expression can use.
TEXT_COLUMNS = {
    "label",
    "hint",
    "constraint_message",
    "form_title",
    "survey_title",
    "consent",
    "required_message",
    "guidance_hint",
}
TYPOGRAPHIC_QUOTES = "\u2018\u2019\u201c\u201d"
STAND_INS = "\ue018\ue019\ue01c\ue01d"
_TO_STAND_INS = str.maketrans(TYPOGRAPHIC_QUOTES, STAND_INS)
_FROM_STAND_INS = str.maketrans(STAND_INS, TYPOGRAPHIC_QUOTES)


def _keep_typographic_quotes(workbook) -> None:
    for sheet in SHEETS:
        for row in getattr(workbook, sheet) or []:
            for column, value in row.items():
                base = column.partition("::")[0].strip().lower()
                if base in TEXT_COLUMNS and isinstance(value, str):
                    row[column] = value.translate(_TO_STAND_INS)


def _typographic_quotes(text: str) -> str:
    return text.translate(_FROM_STAND_INS)


def _restore_formulas(workbook) -> None:
    """Undo the neutralising of formula-like texts an exported CSV form carries."""
    for sheet in SHEETS:
        for row in getattr(workbook, sheet) or []:
            for column, value in row.items():
                row[column] = restore(value)


def read_xlsform(path: str | Path, *, skip_unsupported: bool = False) -> ReadResult:
    """Read the XLSForm at `path`; raise XLSFormError listing every problem."""
    return _Reader(Path(path), skip_unsupported).read()


PIPED = re.compile(r"\$\{([^}]+)\}")


def _piped_names(question: QuestionDef) -> set[str]:
    """Return the answers a question's texts show (``${name}`` inside a label)."""
    texts = [question.label, question.hint, question.constraint_message]
    texts += [row.label for row in question.rows]
    return {
        name.strip() for value in texts for text in value.values() for name in PIPED.findall(text)
    }


def _language_of_column(column: str) -> str:
    """Return the language part of a column header: 'label::chinese' (or 'label:chinese')."""
    _head, separator, language = column.partition("::")
    if not separator:
        _head, separator, language = column.partition(":")
    return language.strip() if separator and ":" not in language else ""


def _choice_columns(choice: dict) -> dict[str, str]:
    """Return the choices sheet's other columns of a choice, which a choice_filter reads."""
    return {
        str(key): str(value).strip()
        for key, value in choice.items()
        if key not in CHOICE_COLUMNS and not isinstance(value, dict) and value is not None
    }


def _expression_names(text: str) -> set[str]:
    if not text:
        return set()
    with contextlib.suppress(ExpressionError):  # reported by _check_expressions
        return references(parse(text))
    return set()


def _read_names(question: QuestionDef) -> set[str]:
    """Return every answer a question reads, in its logic or its texts."""
    names = _piped_names(question)
    for text in (
        question.relevant,
        question.constraint,
        question.screening,
        question.attention_check,
        question.calculation,
        question.choice_filter,
    ):
        names |= _expression_names(text)
    for child in question.children:
        names |= _read_names(child) - {c.variable for c in question.children}
    return names


def _with_children(questions):
    """Yield each question, and after a repeat the questions inside it."""
    for question in questions:
        yield question
        yield from question.children


def _at(row: int, name: str) -> Place:
    """Return where a named row is, for an error message: 'survey sheet, row 12 (age)'."""
    return Place("survey", row or None, name)


def _not_earlier(where: Place, names: list[str]) -> Problem:
    """Say that a question's texts show answers (${name}) not asked before it."""
    return _problem(
        where,
        _("%(where)s: its texts show %(names)s, which is not an earlier question"),
        names=", ".join(f"${{{name}}}" for name in names),
    )


def _bind(element: dict, key: str) -> str:
    return str(element.get("bind", {}).get(key, "") or "").strip()


def _and(first: str, second: str) -> str:
    if first and second:
        return f"({first}) and ({second})"
    return first or second


def _is_meta(element: dict) -> bool:
    return element.get("name") == "meta" and element.get("control", {}).get("bodyless")


def _is_table_list(element: dict) -> bool:
    children = element.get("children", [])
    return element.get("type") == "group" and any(
        child.get("name", "").startswith(GENERATED_PREFIXES) for child in children
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


LONG_WORD = re.compile(r"[^\s()'\",:]{61,}")
MAX_LINE = 400


def _readable(line: str) -> str:
    """Return an error line fit for a terminal: cells quoted in it are shown cut short.

    A cell can hold 100,000 characters or control characters (a terminal's escape
    sequences among them); the line names where the problem is and shows enough of it.
    The line keeps its place in the form (a `Problem`'s).
    """
    if not isinstance(line, Problem):
        return Problem(_printable(line))
    readable = Problem(_printable(line), line.place)
    readable.where, readable.named = line.where, line.named
    return readable


def _printable(text: str) -> str:
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    text = LONG_WORD.sub(lambda match: match[0][:40] + "...", text)
    if len(text) > MAX_LINE:
        text = text[: MAX_LINE // 2] + " ... " + text[-MAX_LINE // 2 :]
    return text


LOCATION = re.compile(
    r"^(?P<sheet>survey|choices|settings)(?: sheet)?"
    r"(?:, row (?P<row>\d+))?"
    r"(?: \((?P<name>[^()]*)\))?"
    r"(?:, list '(?P<list>[^']*)')?"
    r"(?:, columns? (?P<column>'[^']*'(?:, '[^']*')*))?"
    r": (?P<problem>.+)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Located:
    """A line of an import report split into where (sheet, row, column) and what."""

    problem: str
    sheet: str = ""
    row: int | None = None
    name: str = ""
    column: str = ""


# How pyxform names a place: "[row : 9] On the 'survey' sheet, the 'relevant' value ...".
PYXFORM_ROW = re.compile(r"^\[row : (?P<row>\d+)\]\s*(?P<problem>.+)$", re.DOTALL)
PYXFORM_SHEET = re.compile(r"'(?P<sheet>survey|choices|settings)' sheet")
PYXFORM_COLUMN = re.compile(r"the '(?P<column>[^']+)' (?:value|column)")


def locate(line: str) -> Located:
    """Split a reported problem into its place in the form and the problem itself.

    A `Problem` carries its place; its line starts with it, written in the language
    active when the form was read ("survey sheet, row 12 (age), column 'constraint': ..."),
    and what follows is the problem (all of the line, when a language words it otherwise).
    Another line is read for a place written in English, as this reader and pyxform
    write it; a line without one (about the whole file) is all problem.
    """
    place = getattr(line, "place", None)
    if place is not None:
        where = _printable(line.where)
        rest = line[len(where) :] if line.startswith(where) else ""
        return Located(
            problem=rest[1:].strip() if rest[:1] in (":", "\uff1a") else str(line),
            sheet=place.sheet,
            row=place.row or None,
            name=_printable(line.named),
            column=_printable(", ".join(place.columns)),
        )
    match = LOCATION.match(line)
    if match is None:
        pyxform = PYXFORM_ROW.match(line)
        if pyxform is None:
            return Located(line)
        sheet = PYXFORM_SHEET.search(line)
        column = PYXFORM_COLUMN.search(line)
        return Located(
            problem=pyxform["problem"],
            sheet=sheet["sheet"] if sheet else "survey",
            row=int(pyxform["row"]),
            column=column["column"] if column else "",
        )
    name = match["name"] or (f"list '{match['list']}'" if match["list"] else "")
    return Located(
        problem=match["problem"],
        sheet=match["sheet"],
        row=int(match["row"]) if match["row"] else None,
        name=name,
        column=(match["column"] or "").replace("'", ""),
    )


def _language_label(code: str) -> str:
    """Return a language as a column header names it: 'Kazakh (kk)' (English, always)."""
    info = LANG_INFO.get(code, {})
    return f"{info['name']} ({code})" if "name" in info else code


def _language_name(code: str) -> str:
    """Return a language's name in the active language, with its code: 'Kazakh (kk)'."""
    if "name" not in LANG_INFO.get(code, {}):
        return code
    return f"{get_language_info(code)['name_translated']} ({code})"


def _header_of(language_by_header: dict[str, str], code: str) -> str:
    for header, known in language_by_header.items():
        if known == code:
            return header
    return code
