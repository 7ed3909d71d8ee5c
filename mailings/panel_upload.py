"""A panel file uploaded in the browser: checked whole, then its eligible members invited.

The same reading and checks as `manage.py invite` (respondents.panel), all or nothing,
with one difference the field manager asked for: members whose known answers fail a
question's screening are listed as ineligible and not invited at all. An XLSX file is
read (its first sheet) into the same CSV form first, so its rows are the lines named in
the report.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
import zipfile
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from respondents.panel import PanelCheck, PanelFile, PanelFileError
from respondents.services import panel_invite
from surveys.models import Survey

BATCH = 2000
# A panel of a million members with a few columns is under 100 MB of CSV.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024


@dataclass
class UploadResult:
    check: PanelCheck
    invited: int
    new: int


def panel_upload(survey: Survey, upload: UploadedFile) -> UploadResult:
    """Check the uploaded panel file and invite its eligible members; raise
    PanelFileError (naming each bad line) and invite nobody when a line is bad."""
    name = (upload.name or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        raise PanelFileError([_("the panel file must be a .csv or an .xlsx file")])
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise PanelFileError(
            [_("the file is larger than %(mb)s MB") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}]
        )
    with tempfile.TemporaryDirectory(prefix="panel-") as folder:
        path = Path(folder) / "panel.csv"
        if name.endswith(".xlsx"):
            source = Path(folder) / "panel.xlsx"
            _save(upload, source)
            _xlsx_to_csv(source, path)
        else:
            _save(upload, path)
        panel = PanelFile(survey, path)
        check = panel.check()
        invited = new = 0
        with transaction.atomic():
            members = panel.members(eligible_only=True)
            while batch := list(islice(members, BATCH)):
                _respondents, created = panel_invite(survey, batch)
                invited += len(batch)
                new += created
    return UploadResult(check, invited, new)


def _save(upload: UploadedFile, path: Path) -> None:
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)


def _xlsx_to_csv(source: Path, target: Path) -> None:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise PanelFileError([_("the file cannot be read as XLSX")]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise PanelFileError(
            [
                _("the XLSX file unpacks to more than %(mb)s MB")
                % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
            ]
        )
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise PanelFileError([_("the file cannot be read as XLSX")]) from None
    try:
        sheet = workbook.worksheets[0]
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for row in sheet.iter_rows(values_only=True):
                writer.writerow([_cell(value) for value in row])
    finally:
        workbook.close()


def _cell(value) -> str:
    """A spreadsheet cell as the panel file's text: 34.0 is 34, a date is YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
