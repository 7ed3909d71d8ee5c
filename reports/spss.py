"""What an SPSS .sav file asks of a dataset: labels within its byte limits, display formats.

A .sav file measures labels in bytes of its encoding (UTF-8 here): a variable label holds
256 bytes, a value label 120, a line of the file's documents 80. ReadStat cuts anything
longer at the limit, in the middle of a character if it falls there, and says nothing;
Kazakh and Russian take two bytes a letter, so half of a long question went missing. Here
a label that does not fit is cut on a character boundary (at a space when one is near),
ends in MARK, and is reported, so the export can list it and keep its full text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports.datasets import MISSING_CODES, Column

VARIABLE_LABEL_BYTES = 256
VALUE_LABEL_BYTES = 120
DOCUMENT_LINE_BYTES = 80
MARK = "…"
# A composed label (question — option) keeps its option whole when the question's part can
# keep at least this many bytes; a shorter stub would say nothing of the question.
LEAD_MINIMUM_BYTES = 60
# Display formats of the numeric metadata.
METADATA_FORMATS = {"submission_id": "F10.0", "seconds": "F8.1", "weight": "F8.4"}


@dataclass(frozen=True)
class Shortened:
    """A label cut to fit: whose it is (a variable, or one of its values) and both texts."""

    variable: str
    value: Any  # None for the variable's own label
    full: str
    written: str

    def __str__(self) -> str:
        whose = self.variable if self.value is None else f"{self.variable} = {self.value}"
        return f"{whose}: {self.full}"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def fit(text: str, limit: int) -> str:
    """Return `text` if it fits `limit` bytes of UTF-8, else its start ending in MARK.

    The cut falls between characters, at the last space when that keeps most of the text.
    """
    if _size(text) <= limit:
        return text
    room = limit - _size(MARK)
    kept = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    head, space, _ = kept.rpartition(" ")
    if space and len(head) >= 0.8 * len(kept):
        kept = head
    return kept.rstrip() + MARK


def variable_label(col: Column) -> str:
    """Return `col`'s label within a variable label's limit.

    A grid row's or an option's text is what tells its column from its neighbours, so when
    the whole does not fit, the question's part is shortened and the row or option is kept.
    """
    label = col.label
    if _size(label) <= VARIABLE_LABEL_BYTES or not col.tail:
        return fit(label, VARIABLE_LABEL_BYTES)
    separator = " — " + col.tail
    lead = label[: -len(separator)] if label.endswith(separator) else ""
    room = VARIABLE_LABEL_BYTES - _size(separator)
    if lead and room >= LEAD_MINIMUM_BYTES:
        return fit(lead, room) + separator
    return fit(label, VARIABLE_LABEL_BYTES)


def labels_fitted(
    cols: list[Column], value_labels: dict[str, dict]
) -> tuple[dict[str, str], dict[str, dict], list[Shortened]]:
    """Return variable labels and value labels that fit, and every one that was shortened."""
    shortened: list[Shortened] = []
    variables = {}
    for col in cols:
        written = variable_label(col)
        if written != col.label:
            shortened.append(Shortened(col.name, None, col.label, written))
        variables[col.name] = written
    values: dict[str, dict] = {}
    for name, labels in value_labels.items():
        values[name] = {}
        for code, label in labels.items():
            written = fit(label, VALUE_LABEL_BYTES)
            if written != label:
                shortened.append(Shortened(name, code, label, written))
            values[name][code] = written
    return variables, values, shortened


def document_lines(heading: str, shortened: list[Shortened]) -> list[str]:
    """Return the file's documents: `heading`, then each shortened label's full text.

    Each line holds at most DOCUMENT_LINE_BYTES; a long text continues on lines indented
    by two spaces.
    """
    if not shortened:
        return []
    lines = _wrapped(heading, "")
    for item in shortened:
        lines.extend(_wrapped(str(item), "  "))
    return lines


def _wrapped(text: str, indent: str) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else (indent if lines else "") + word
        if _size(candidate) <= DOCUMENT_LINE_BYTES:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = indent + word
        while _size(line) > DOCUMENT_LINE_BYTES:  # a word longer than a line: split it
            part = line.encode("utf-8")[:DOCUMENT_LINE_BYTES].decode("utf-8", errors="ignore")
            lines.append(part)
            line = indent + line[len(part) :]
    if line:
        lines.append(line)
    return lines


def display_format(col: Column) -> str | None:
    """Return the SPSS display format of a numeric column (None: a text, sized by width).

    Choice codes are whole numbers as wide as the widest code or missing code (-98, -99);
    an integer as wide as its range allows; a decimal two places.
    """
    missing = [len(str(code)) for code in MISSING_CODES.values()]
    if col.kind == "single":
        return f"F{max([len(str(code)) for code in col.codes.values()] + missing)}.0"
    if col.kind == "option":
        return f"F{max(missing)}.0"
    if col.kind == "integer":
        question = col.question
        bounds = [question.min_value, question.max_value]
        if any(bound is None for bound in bounds):
            return "F8.0"
        return f"F{max([len(str(int(bound))) for bound in bounds] + missing)}.0"
    if col.kind == "decimal":
        return "F10.2"
    return METADATA_FORMATS.get(col.name)
