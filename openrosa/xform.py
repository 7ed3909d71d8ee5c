"""The XForm an OpenRosa client downloads: our questionnaire, through pyxform.

The questionnaire is written as an XLSForm (`surveys.xlsform.writer`, the same sheets
`export_xlsform` writes, whose constraints already say a number's range, how many options
to tick and screening, so the tablet refuses what the server would) and pyxform turns it
into the XForm, in every language of the survey; nothing here writes XForm XML by hand.
Added here: the form's id (the survey's slug), its version, and the interview's start,
end and device, which the client records (pyxform's `start`, `end`, `deviceid`).

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


def _rows(header: list[str], rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{column: row[column] for column in header if row.get(column)} for row in rows]


def workbook(definition: SurveyDefinition, form_id: str, version: str) -> dict:
    """Return the XLSForm of `definition` (the sheets `export_xlsform` writes) as pyxform's
    workbook data, with the form's id and version, and the interview's start and end."""
    survey_header, survey_rows = writer.survey_sheet(definition)
    choices_header, choices_rows = writer.choices_sheet(definition)
    settings_header, settings_rows = writer.settings_sheet(definition)
    settings = {**_rows(settings_header, settings_rows)[0], "form_id": form_id, "version": version}
    return {
        "survey": [dict(row) for row in META] + _rows(survey_header, survey_rows),
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
