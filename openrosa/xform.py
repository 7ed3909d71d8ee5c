"""The XForm an OpenRosa client downloads: our questionnaire, through pyxform.

The questionnaire is written as an XLSForm (`surveys.xlsform.writer`, the same sheets
`export_xlsform` writes) and pyxform turns it into the XForm, in every language of the
survey; nothing here writes XForm XML by hand. What only this system enforced (a number's
range, how many options to tick) is folded into each question's constraint, so the
tablet refuses what the server would refuse, and the interview's start and end are
recorded by the client (pyxform's `start` and `end`).

The form's version is a digest of the XForm itself: it moves when what the tablet shows
moves, not when a setting the tablet never sees (the speeder threshold) is saved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from pyxform.xls2xform import convert

from fieldwork.memo import BoundedMemo
from surveys.definition import QuestionDef, SurveyDefinition
from surveys.models import Survey
from surveys.questionnaire import cache_key
from surveys.selectors import survey_definition
from surveys.xlsform import writer

# The instance's root element (pyxform's default), and the metadata it records.
ROOT = "data"
META = (
    {"type": "start", "name": "start"},
    {"type": "end", "name": "end"},
    {"type": "deviceid", "name": "deviceid"},
)
META_NAMES = frozenset(row["name"] for row in META) | {"meta", "instanceID", "instanceName"}
_PLACEHOLDER = "0"

_XFORMS = BoundedMemo("XForms of live surveys", maxsize=32, max_chars=8_000_000)


@dataclass(frozen=True)
class XForm:
    form_id: str
    title: str
    version: str
    xml: str

    @property
    def md5(self) -> str:
        """The hash the Form List API gives, as `md5:<hex>`, of the bytes served."""
        return "md5:" + hashlib.md5(self.xml.encode("utf-8"), usedforsecurity=False).hexdigest()


def _number(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


def constraint_of(question: QuestionDef) -> str:
    """Return the question's constraint with its range and option counts folded in."""
    parts = [f"({question.constraint})"] if question.constraint else []
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
    return " and ".join(parts)


def _rows(header: list[str], rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{column: row[column] for column in header if row.get(column)} for row in rows]


def workbook(definition: SurveyDefinition, form_id: str, version: str) -> dict:
    """Return the XLSForm of `definition` as pyxform's workbook data, ready to convert."""
    survey_header, survey_rows = writer.survey_sheet(definition)
    constraints = {
        question.variable: constraint_of(question) for question in definition.questions()
    }
    for row in survey_rows:
        if row.get("name") in constraints and not row["type"].startswith("begin"):
            row["constraint"] = constraints[row["name"]]
    survey_rows = [dict(row) for row in META] + survey_rows
    choices_header, choices_rows = writer.choices_sheet(definition)
    _header, settings_rows = writer.settings_sheet(definition)
    settings = {
        column: value
        for column, value in settings_rows[0].items()
        # pyxform reads one title; the survey's own settings mean nothing to a tablet.
        if column == "default_language"
    }
    settings |= {
        "form_title": definition.title.get(definition.default_language, form_id),
        "form_id": form_id,
        "version": version,
    }
    return {
        "survey": _rows(survey_header + ["type", "name"], survey_rows),
        "survey_header": [dict.fromkeys(survey_header)],
        "choices": _rows(choices_header, choices_rows),
        "choices_header": [dict.fromkeys(choices_header)],
        "settings": [settings],
        "settings_header": [dict.fromkeys(settings)],
        "sheet_names": ["survey", "choices", "settings"],
        "fallback_form_name": ROOT,
    }


def xform_build(survey: Survey) -> XForm:
    """Generate the XForm of `survey`'s questionnaire as it now stands (pyxform)."""
    definition = survey_definition(survey)

    def generate(version: str) -> str:
        return convert(workbook(definition, survey.slug, version), form_name=ROOT).xform

    digest = hashlib.sha256(generate(_PLACEHOLDER).encode("utf-8")).hexdigest()
    version = digest[:12]
    return XForm(
        form_id=survey.slug,
        title=survey.display_title,
        version=version,
        xml=generate(version),
    )


def xform_of(survey: Survey) -> XForm:
    """Return the survey's XForm, generated once per questionnaire version (ADR 0015)."""
    key = cache_key(survey, "xform")
    if key is None:
        return xform_build(survey)
    return _XFORMS.through_cache(key, lambda: xform_build(survey), timeout=24 * 3600)
