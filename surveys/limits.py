"""What a questionnaire upload may hold: the bounds an import checks before it costs much.

A form of 100,000 choices once took 387 s to import and then 30 s of a web worker and
54 MB of HTML for each page showing it; a 15 KB .xlsx carried a 10 MB label. An import is
refused, with every limit it passes named, when a form exceeds any of these (README,
"Questionnaires as XLSForms", lists them). They are far above any real questionnaire:
the demo's largest page holds 22 answers, its longest list 19 choices, its longest text
300 characters.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The file as uploaded, and (.xlsx, a zip) what it unpacks to.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# Rows of one sheet (survey, choices or settings), header not counted.
MAX_SHEET_ROWS = 10_000
# Choices of one list; a longer list is shown as a searchable select (respondents).
MAX_CHOICES_PER_LIST = 2_000
# Characters of one text: a label, hint, constraint message or expression.
MAX_TEXT_LENGTH = 2_000
# Answers one page asks for (each grid row counts as one).
MAX_ANSWERS_PER_PAGE = 100


def file_too_large(name: str, size: int) -> str:
    return _("%(file)s: the file has %(size)s bytes; a form may have at most %(limit)s.") % {
        "file": name,
        "size": f"{size:,}",
        "limit": f"{MAX_FILE_BYTES:,}",
    }


def unpacked_too_large(name: str, size: int) -> str:
    return _(
        "%(file)s: the workbook unpacks to %(size)s bytes; a form may unpack to at most %(limit)s."
    ) % {"file": name, "size": f"{size:,}", "limit": f"{MAX_UNPACKED_BYTES:,}"}


def too_many_rows(sheet: str, rows: int) -> str:
    return _("%(sheet)s sheet: %(rows)s rows; a sheet may have at most %(limit)s.") % {
        "sheet": sheet,
        "rows": f"{rows:,}",
        "limit": f"{MAX_SHEET_ROWS:,}",
    }


def too_many_choices(list_name: str, count: int) -> str:
    return _(
        "choices sheet, list '%(list)s': %(count)s choices; a list may have at most %(limit)s."
    ) % {"list": list_name, "count": f"{count:,}", "limit": f"{MAX_CHOICES_PER_LIST:,}"}


def text_too_long(where: str, length: int) -> str:
    return _("%(where)s: the text has %(length)s characters; at most %(limit)s.") % {
        "where": where,
        "length": f"{length:,}",
        "limit": f"{MAX_TEXT_LENGTH:,}",
    }


def page_too_long(where: str, count: int) -> str:
    return ngettext(
        "%(where)s: the page asks for %(count)s answer; a page may ask for at most %(limit)s.",
        "%(where)s: the page asks for %(count)s answers; a page may ask for at most %(limit)s.",
        count,
    ) % {"where": where, "count": f"{count:,}", "limit": f"{MAX_ANSWERS_PER_PAGE:,}"}
