"""Write a SurveyDefinition as an XLSForm (.xlsx, or pyxform's .csv layout).

The output uses the same columns the reader understands, so a survey exported and
imported again is equal to the original, and exporting that again gives the same file.
It is also a form pyxform's ``xls2xform`` converts, for ODK and Kobo:

- ranges (``min_value``/``max_value``), ``min_choices``/``max_choices`` and ``screening``
  are written into ``constraint`` too (after the question's own constraint), with a
  ``constraint_message`` saying them in each language, so the XForm enforces them; the
  reader takes these generated parts out again (`split_constraint`, `split_message`);
- languages are named as ODK validates them, ``Name (code)`` with an IANA code:
  Simplified Chinese is ``Simplified Chinese (zh)`` (`language_header`);
- the title is ``form_title`` in the default language (pyxform reads no translated
  title), and ``survey_title::Language (code)`` in every language;
- ``clean_text_values`` is ``no``, so that pyxform (and the reader) keep typographic
  quotes and spacing as written.

Our own columns (``min_value``, ``screening``, ``measure``, ``sample_target``, ...) stay
where they are: pyxform passes over columns it does not know.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from pyxform.validators.pyxform.iana_subtags.validation import get_languages_with_bad_tags

from fieldwork.formulas import neutralise
from surveys.definition import QuestionDef, SurveyDefinition, Translations
from surveys.models import language_name

Sheet = tuple[list[str], list[dict[str, str]]]


def xlsform_code(code: str) -> str:
    """Return the language code ODK validates for one of ours: 'zh-hans' -> 'zh'."""
    if not get_languages_with_bad_tags([f"x ({code})"]):
        return code
    return code.split("-")[0]


def language_header(code: str) -> str:
    """Return the XLSForm name of a language: 'Kazakh (kk)', 'Simplified Chinese (zh)'."""
    return f"{language_name(code)} ({xlsform_code(code)})"


# Generated constraints ------------------------------------------------------------------


def generated_parts(question: QuestionDef) -> list[str]:
    """Return the conditions our own columns put on an answer, as XLSForm expressions."""
    parts = []
    if question.type in ("integer", "decimal"):
        if question.min_value is not None:
            parts.append(f". >= {_number(question.min_value)}")
        if question.max_value is not None:
            parts.append(f". <= {_number(question.max_value)}")
    if question.type == "multiple":
        if question.min_choices is not None:
            parts.append(f"count-selected(.) >= {question.min_choices}")
        if question.max_choices is not None:
            parts.append(f"count-selected(.) <= {question.max_choices}")
    if question.screening:
        parts.append(question.screening)
    return parts


def join_constraint(own: str, parts: list[str]) -> str:
    """Return the constraint ODK reads: the question's own, then the generated parts."""
    if not parts:
        return own
    tail = " and ".join(f"({part})" for part in parts)
    return f"({own}) and {tail}" if own else tail


def split_constraint(written: str, parts: list[str]) -> str:
    """Return the question's own constraint from one `join_constraint` wrote."""
    if not parts:
        return written
    tail = " and ".join(f"({part})" for part in parts)
    if written == tail:
        return ""
    if written.startswith("(") and written.endswith(f") and {tail}"):
        return written[1 : -len(f") and {tail}")]
    return written


def generated_message(question: QuestionDef, code: str) -> str:
    """Return what the generated parts ask of an answer, in language `code`."""
    with translation.override(code):
        said = []
        if question.type in ("integer", "decimal"):
            if question.min_value is not None:
                said.append(
                    str(MinValueValidator.message) % {"limit_value": _number(question.min_value)}
                )
            if question.max_value is not None:
                said.append(
                    str(MaxValueValidator.message) % {"limit_value": _number(question.max_value)}
                )
        if question.type == "multiple":
            if question.min_choices is not None:
                said.append(_("Please choose at least %(n)d.") % {"n": question.min_choices})
            if question.max_choices is not None:
                said.append(_("Please choose at most %(n)d.") % {"n": question.max_choices})
        if question.screening:
            said.append(_("With this answer you cannot take part in this survey."))
        return " ".join(said)


def join_message(question: QuestionDef, languages: tuple[str, ...]) -> Translations:
    """Return the constraint_message ODK shows: the question's own, then the generated."""
    if not generated_parts(question):
        return dict(question.constraint_message)
    texts = {}
    for code in languages:
        own = question.constraint_message.get(code, "")
        generated = generated_message(question, code)
        texts[code] = f"{own} {generated}" if own else generated
    return texts


def split_message(written: Translations, question: QuestionDef) -> Translations:
    """Return the question's own constraint_message from one `join_message` wrote."""
    if not generated_parts(question):
        return written
    own = {}
    for code, text in written.items():
        generated = generated_message(question, code)
        if text == generated:
            continue
        own[code] = text[: -len(generated) - 1] if text.endswith(f" {generated}") else text
    return own


def _translated(column: str, languages: tuple[str, ...]) -> list[str]:
    return [f"{column}::{language_header(code)}" for code in languages]


def _texts(column: str, value: dict[str, str]) -> dict[str, str]:
    return {f"{column}::{language_header(code)}": text for code, text in value.items()}


def _number(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = value.normalize()
        return format(value, "f")
    return str(value)


def _question_type(question: QuestionDef) -> str:
    return {
        "single": f"select_one {question.choice_list}",
        "multiple": f"select_multiple {question.choice_list}",
        "long_text": "text",
    }.get(question.type, question.type)


def survey_sheet(definition: SurveyDefinition) -> Sheet:
    languages = definition.languages
    header = (
        ["type", "name"]
        + _translated("label", languages)
        + _translated("hint", languages)
        + ["required", "relevant", "constraint"]
        + _translated("constraint_message", languages)
        + ["appearance", "min_value", "max_value", "min_choices", "max_choices"]
        + ["screening", "attention_check", "measure"]
    )
    rows: list[dict[str, str]] = []
    for page in definition.pages:
        rows.append(
            {"type": "begin group", "name": page.name, "relevant": page.relevant}
            | _texts("label", page.title)
        )
        for question in page.questions:
            if question.type == "grid":
                rows.append(
                    {
                        "type": "begin group",
                        "name": question.variable,
                        "relevant": question.relevant,
                        "appearance": "table-list",
                        "measure": question.measure,
                    }
                    | _texts("label", question.label)
                    | _texts("hint", question.hint)
                )
                for grid_row in question.rows:
                    rows.append(
                        {
                            "type": f"select_one {question.choice_list}",
                            "name": grid_row.variable,
                            "required": "yes" if question.required else "",
                        }
                        | _texts("label", grid_row.label)
                    )
                rows.append({"type": "end group"})
                continue
            appearance = question.appearance
            if question.type == "long_text" and "multiline" not in appearance.split():
                appearance = f"{appearance} multiline".strip()
            rows.append(
                {
                    "type": _question_type(question),
                    "name": question.variable,
                    "required": "yes" if question.required else "",
                    "relevant": question.relevant,
                    "constraint": join_constraint(question.constraint, generated_parts(question)),
                    "appearance": appearance,
                    "min_value": _number(question.min_value),
                    "max_value": _number(question.max_value),
                    "min_choices": _number(question.min_choices),
                    "max_choices": _number(question.max_choices),
                    "screening": question.screening,
                    "attention_check": question.attention_check,
                    "measure": question.measure,
                }
                | _texts("label", question.label)
                | _texts("hint", question.hint)
                | _texts("constraint_message", join_message(question, languages))
            )
        rows.append({"type": "end group"})
    return header, rows


def choices_sheet(definition: SurveyDefinition) -> Sheet:
    header = ["list_name", "name"] + _translated("label", definition.languages)
    rows = [
        {"list_name": choice_list.name, "name": choice.value} | _texts("label", choice.label)
        for choice_list in definition.choice_lists
        for choice in choice_list.choices
    ]
    return header, rows


def settings_sheet(definition: SurveyDefinition) -> Sheet:
    header = (
        ["form_title"]
        + _translated("survey_title", definition.languages)
        + [
            "default_language",
            "clean_text_values",
            "version",
            "sample_target",
            "fieldwork_start",
            "fieldwork_end",
            "estimated_minutes",
        ]
    )
    if definition.consent:
        header += _translated("consent", definition.languages)
    row = (
        {"form_title": definition.title.get(definition.default_language, "")}
        | _texts("survey_title", definition.title)
        | _texts("consent", definition.consent)
        | {
            "default_language": language_header(definition.default_language),
            "clean_text_values": "no",
            "version": definition.version,
            "sample_target": str(definition.sample_target),
            "fieldwork_start": definition.fieldwork_start.isoformat()
            if definition.fieldwork_start
            else "",
            "fieldwork_end": definition.fieldwork_end.isoformat()
            if definition.fieldwork_end
            else "",
            "estimated_minutes": str(definition.estimated_minutes or ""),
        }
    )
    return header, [row]


def write_xlsform(definition: SurveyDefinition, path: str | Path) -> Path:
    """Write `definition` to `path`: CSV when it ends in .csv, XLSX otherwise."""
    path = Path(path)
    sheets = {
        "survey": survey_sheet(definition),
        "choices": choices_sheet(definition),
        "settings": settings_sheet(definition),
    }
    if path.suffix.lower() == ".csv":
        _write_csv(sheets, path)
    else:
        _write_xlsx(sheets, path)
    return path


def _write_xlsx(sheets: dict[str, Sheet], path: Path) -> None:
    workbook = Workbook(write_only=True)
    for name, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append([_text_cell(sheet, row.get(column, "")) for column in header])
    workbook.save(path)


def _text_cell(sheet, value: str) -> WriteOnlyCell | str:
    # openpyxl would store a text starting with '=' as a formula; keep it text.
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _write_csv(sheets: dict[str, Sheet], path: Path) -> None:
    """Write pyxform's CSV layout: a sheet-name row, then rows led by an empty cell.

    Texts a spreadsheet would run as a formula are neutralised (fieldwork.formulas).
    """
    width = 1 + max(len(header) for header, _ in sheets.values())
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for name, (header, rows) in sheets.items():
            writer.writerow([name] + [""] * (width - 1))
            writer.writerow([""] + header + [""] * (width - 1 - len(header)))
            for row in rows:
                # A spreadsheet would run a label starting with '=' (or its fullwidth form):
                # quoted here, unquoted by the reader when the CSV is imported again.
                values = [neutralise(row.get(column, "")) for column in header]
                writer.writerow([""] + values + [""] * (width - 1 - len(values)))
