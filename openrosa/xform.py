"""The XForm an OpenRosa client downloads: our questionnaire, through pyxform.

The questionnaire is written as an XLSForm (`surveys.xlsform.writer`, the same sheets
`export_xlsform` writes, whose constraints already say a number's range, how many options
to tick and screening, so the tablet refuses what the server would) and pyxform turns it
into the XForm, in every language of the survey; nothing here writes XForm XML by hand.
Added here: the form's id (the survey's slug), its version, and the interview's start,
end and device, which the client records (pyxform's `start`, `end`, `deviceid`), unless
the questionnaire has questions of those types itself.

The form's version is a digest of the XForm itself: it moves when what the tablet shows
moves, not when a setting the tablet never sees (the speeder threshold) is saved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pyxform.xls2xform import convert

from fieldwork.memo import BoundedMemo
from surveys.definition import SurveyDefinition
from surveys.models import Survey
from surveys.questionnaire import cache_key
from surveys.selectors import survey_definition
from surveys.xlsform import writer

# The instance's root element (pyxform's default).
ROOT = "data"
# What the client records of an interview, by XLSForm type: its start, end and device.
META_TYPES = ("start", "end", "deviceid")
# Elements of an instance that are never answers (pyxform's meta block).
NOT_ANSWERS = frozenset({"meta", "instanceID", "instanceName"})
_PLACEHOLDER = "0"

_XFORMS = BoundedMemo("XForms of live surveys", maxsize=32, max_chars=8_000_000)


@dataclass(frozen=True)
class XForm:
    form_id: str
    title: str
    version: str
    xml: str
    # The element that records each of META_TYPES in this form's instances, by type.
    meta: tuple[tuple[str, str], ...] = tuple((kind, kind) for kind in META_TYPES)

    @property
    def md5(self) -> str:
        """The hash the Form List API gives, as `md5:<hex>`, of the bytes served."""
        return "md5:" + hashlib.md5(self.xml.encode("utf-8"), usedforsecurity=False).hexdigest()


def _rows(header: list[str], rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{column: row[column] for column in header if row.get(column)} for row in rows]


def meta_rows(survey_rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Return the rows to add for the interview's start, end and device, and the element
    that records each.

    A form with a question of that type of its own (Kobo's forms usually have `start` and
    `end`) records it there; otherwise a row is added, named after its type, or after its
    type and a number when a question already has that name (pyxform wants names unique).
    """
    taken = {row.get("name", "") for row in survey_rows}
    rows: list[dict[str, str]] = []
    names: dict[str, str] = {}
    for kind in META_TYPES:
        own = next((row["name"] for row in survey_rows if row.get("type") == kind), None)
        if own:
            names[kind] = own
            continue
        name, n = kind, 1
        while name in taken:
            name, n = f"{kind}_{n}", n + 1
        taken.add(name)
        rows.append({"type": kind, "name": name})
        names[kind] = name
    return rows, names


def workbook(definition: SurveyDefinition, form_id: str, version: str) -> tuple[dict, dict]:
    """Return the XLSForm of `definition` (the sheets `export_xlsform` writes) as pyxform's
    workbook data, with the form's id and version, and the interview's start, end and
    device; and the element that records each of those (`meta_rows`)."""
    survey_header, survey_rows = writer.survey_sheet(definition)
    choices_header, choices_rows = writer.choices_sheet(definition)
    settings_header, settings_rows = writer.settings_sheet(definition)
    settings = {**_rows(settings_header, settings_rows)[0], "form_id": form_id, "version": version}
    survey = _rows(survey_header, survey_rows)
    added, names = meta_rows(survey)
    data = {
        "survey": added + survey,
        "survey_header": [dict.fromkeys(survey_header)],
        "choices": _rows(choices_header, choices_rows),
        "choices_header": [dict.fromkeys(choices_header)],
        "settings": [settings],
        "settings_header": [dict.fromkeys(settings)],
        "sheet_names": ["survey", "choices", "settings"],
        "fallback_form_name": ROOT,
    }
    return data, names


def xform_build(survey: Survey) -> XForm:
    """Generate the XForm of `survey`'s questionnaire as it now stands (pyxform)."""
    definition = survey_definition(survey)

    def generate(version: str) -> tuple[str, dict[str, str]]:
        data, names = workbook(definition, survey.slug, version)
        return convert(data, form_name=ROOT).xform, names

    digest = hashlib.sha256(generate(_PLACEHOLDER)[0].encode("utf-8")).hexdigest()
    version = digest[:12]
    xml, names = generate(version)
    return XForm(
        form_id=survey.slug,
        title=survey.display_title,
        version=version,
        xml=xml,
        meta=tuple((kind, names[kind]) for kind in META_TYPES),
    )


def xform_of(survey: Survey) -> XForm:
    """Return the survey's XForm, generated once per questionnaire version (ADR 0015)."""
    key = cache_key(survey, "xform")
    if key is None:
        return xform_build(survey)
    return _XFORMS.through_cache(key, lambda: xform_build(survey), timeout=24 * 3600)
