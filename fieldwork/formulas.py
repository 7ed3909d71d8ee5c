"""Texts that a spreadsheet would run as a formula, made harmless (CSV injection).

Every file this project writes for people to open in Excel or LibreOffice (datasets,
toplines, the codebook, reconciliation and links files, a questionnaire as CSV) passes
its texts through `neutralise`: a text starting with = + - @ (or their fullwidth forms
＝ ＋ － ＠, which spreadsheets in East Asian locales read as the same operators), a
tab or a carriage return gets a leading apostrophe (OWASP's advice), which a
spreadsheet shows as text. `restore` undoes it for files this project reads back (an
exported XLSForm CSV imported again), so that a round trip changes nothing.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _quoted_formula(text: str) -> bool:
    """Return whether `text` is apostrophes then a formula start ("'=1", "''+x")."""
    return text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """Return a text that a spreadsheet will show rather than run.

    A text that already starts with apostrophes before a formula start gets one more,
    so that `restore` gives back exactly what was written.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or _quoted_formula(value)):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """Return the text `neutralise` was given: the inverse of `neutralise`."""
    if isinstance(value, str) and _quoted_formula(value):
        return value[1:]
    return value
