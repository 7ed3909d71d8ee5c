"""An XLSForm uploaded through the browser: checked, then imported as on the command line.

The upload is refused before anything is read when its name is not a spreadsheet's or
it is larger than `limits.MAX_FILE_BYTES`; otherwise it is written to a temporary file
and imported by `survey_import_xlsform`, all or nothing, exactly as `manage.py
import_xlsform` does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from surveys import limits
from surveys.definition import CONTROL_CHARACTERS
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.services import ImportResult, survey_import_xlsform
from surveys.xlsform.reader import SUPPORTED_SUFFIXES


def survey_import_upload(
    upload: UploadedFile,
    slug: str,
    *,
    new: bool,
    skip_unsupported: bool = False,
    user=None,
) -> ImportResult:
    """Import `upload` as survey `slug`: a new survey when `new`, else onto its draft.

    Raises SurveyError listing every reason when nothing was written.
    """
    name = CONTROL_CHARACTERS.sub("", Path(upload.name or "").name)
    suffix = Path(name).suffix.lower()
    # A name fit for a file of our own (and for the report): no NUL, not too long.
    name = f"{Path(name).stem[:100] or 'form'}{suffix}"
    if suffix not in SUPPORTED_SUFFIXES:
        raise SurveyError(
            [
                _("%(file)s is not an XLSForm: upload a .xlsx, .xls or .csv spreadsheet.")
                % {"file": name or _("The file")}
            ]
        )
    if upload.size > limits.MAX_FILE_BYTES:
        raise SurveyError([limits.file_too_large(name, upload.size)])
    if new and Survey.objects.filter(slug=slug).exists():
        raise SurveyError(
            [
                _(
                    "A survey with the slug '%(slug)s' exists already: choose another slug, or "
                    "upload onto that survey from its questionnaire page."
                )
                % {"slug": slug}
            ]
        )
    with tempfile.TemporaryDirectory(prefix="xlsform-") as directory:
        # The reader names the file in its messages: keep the name the user chose.
        path = Path(directory) / name
        with path.open("wb") as written:
            for chunk in upload.chunks():
                written.write(chunk)
        return survey_import_xlsform(path, slug, skip_unsupported=skip_unsupported, user=user)
