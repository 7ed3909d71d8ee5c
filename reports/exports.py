"""Writing datasets: CSV, XLSX, SPSS .sav and the codebook.

CSV and XLSX stream row by row; no cell that a spreadsheet would run as a formula leaves
this module unneutralised (fieldwork.formulas: a leading = + - @, their fullwidth forms, a
tab or a carriage return gets a quote).
"""

from __future__ import annotations

import csv
import html
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fieldwork.formulas import neutralise
from reports import datasets, spss
from reports.datasets import MISSING_CODES, NOT_ASKED, SKIPPED, Column
from respondents.selectors import submissions_matching
from surveys.models import Survey, language_name

logger = logging.getLogger(__name__)
XLSX_MAX_ROWS = 1_048_576  # including the header row


# How CSV and XLSX want datasets.rows' values: missing answers empty, formulas neutralised.
PLAIN = {"skipped": "", "not_asked": "", "text": neutralise}


def write_csv(cols: list[Column], rows: Iterable[list], path: Path, *, bom: bool = False) -> int:
    """Write a CSV (UTF-8, with a byte-order mark for Excel if `bom`); return the row count.

    `rows` are plain: datasets.rows(..., **PLAIN).
    """
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.name for c in cols])
        writerow = writer.writerow
        for row in rows:
            writerow(row)
            count += 1
    return count


def csv_stream(
    cols: list[Column], rows: Iterable[list], *, bom: bool = False, batch: int = 500
) -> Iterator[str]:
    """Yield the same CSV text `write_csv` writes, a batch of rows at a time, to stream it.

    `rows` are plain: datasets.rows(..., **PLAIN).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow([c.name for c in cols])
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(
    cols: list[Column],
    rows: Iterable[list],
    path: Path,
    *,
    repeats: Iterable[tuple[str, list[Column], Iterable[list]]] = (),
) -> int:
    """Write an XLSX in constant memory, continuing on a new sheet past Excel's row limit.

    Each repeat (its name, columns and rows, one per entry) gets a sheet of its own after
    the data. `rows` are plain: datasets.rows(..., **PLAIN).
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet, sheet_rows, count = None, XLSX_MAX_ROWS, 0
    for row in rows:
        if sheet_rows >= XLSX_MAX_ROWS:
            sheet = workbook.add_worksheet(
                f"data{'' if sheet is None else count // (XLSX_MAX_ROWS - 1) + 1}"
            )
            sheet.write_row(0, 0, [c.name for c in cols])
            sheet_rows = 1
        sheet.write_row(sheet_rows, 0, row)
        sheet_rows += 1
        count += 1
    if sheet is None:
        workbook.add_worksheet("data").write_row(0, 0, [c.name for c in cols])
    for name, repeat_cols, repeat_rows in repeats:
        sheet = workbook.add_worksheet(name[:31])
        sheet.write_row(0, 0, [c.name for c in repeat_cols])
        for number, row in enumerate(repeat_rows, 1):
            if number >= XLSX_MAX_ROWS:
                raise ValueError(f"the repeat {name} has more entries than a sheet holds")
            sheet.write_row(number, 0, row)
    workbook.close()
    return count


def write_sav(
    cols: list[Column],
    rows: Iterable[list],
    path: Path,
    *,
    total: int | None = None,
    shortened: list[spss.Shortened] | None = None,
) -> int:
    """Write an SPSS file with variable labels, value labels, measures, formats and missing
    codes; return the row count.

    Labels longer than a .sav holds are cut on a character boundary and marked (see
    reports.spss); each is appended to `shortened` if given, and the file's documents list
    their full texts.

    pyreadstat writes a whole DataFrame at once (it has no way to append rows), so the data
    is held in memory: numbers in one float64 array, sized for `total` rows when the caller
    knows it (grown if more come), handed to pandas without a copy; texts in lists.
    """
    import numpy
    import pandas
    import pyreadstat

    numeric = {c.name for c in cols if c.numeric}
    number_at = [i for i, c in enumerate(cols) if c.name in numeric]
    text_at = [i for i, c in enumerate(cols) if c.name not in numeric]
    block = numpy.empty((len(number_at), max(total or 0, 1024)), dtype="float64")
    texts: list[list] = [[] for _ in text_at]
    # an empty metadata number (seconds of an interview not ended) is system-missing
    codes = {
        SKIPPED: MISSING_CODES[SKIPPED],
        NOT_ASKED: MISSING_CODES[NOT_ASKED],
        "": numpy.nan,
    }
    count = 0
    for row in rows:
        if count == block.shape[1]:  # more rows than announced: grow by a quarter
            grown = numpy.empty((block.shape[0], count + count // 4 + 1024), dtype="float64")
            grown[:, :count] = block
            block = grown
        # a text in a numeric column is a missing marker, a decimal, or an unknown code
        # (which fails to convert, loudly)
        block[:, count] = [
            codes.get(row[i], row[i]) if row[i].__class__ is str else row[i] for i in number_at
        ]
        for values, i in zip(texts, text_at, strict=True):
            value = row[i]
            values.append("" if value in (SKIPPED, NOT_ASKED) else value)
        count += 1
    position = {i: k for k, i in enumerate(number_at)}
    series = {
        i: pandas.Series(values, dtype="object") for i, values in zip(text_at, texts, strict=True)
    }
    frame = pandas.DataFrame(
        {
            c.name: block[position[i], :count] if i in position else series[i]
            for i, c in enumerate(cols)
        },
        copy=False,
    )
    missing_labels = {
        MISSING_CODES[SKIPPED]: _("Skipped"),
        MISSING_CODES[NOT_ASKED]: _("Not asked"),
    }
    value_labels = {}
    for col in cols:
        if col.kind == "single":
            value_labels[col.name] = {**col.value_labels, **missing_labels}
        elif col.kind == "option":
            value_labels[col.name] = {0: _("Not chosen"), 1: _("Chosen"), **missing_labels}
        elif col.numeric and col.kind != "meta":
            value_labels[col.name] = missing_labels
    variable_labels, value_labels, cut = spss.labels_fitted(cols, value_labels)
    if shortened is not None:
        shortened.extend(cut)
    formats = {c.name: spss.display_format(c) for c in cols if c.numeric}
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=variable_labels,
        note=spss.document_lines(
            _(
                "Labels shortened to fit this file (variable labels 256 bytes, value labels "
                "120), and their full texts; the codebook has every text in full:"
            ),
            cut,
        )
        or None,
        variable_value_labels=value_labels,
        variable_measure={c.name: c.measure for c in cols},
        variable_format={name: fmt for name, fmt in formats.items() if fmt},
        missing_ranges={
            c.name: [MISSING_CODES[SKIPPED], MISSING_CODES[NOT_ASKED]]
            for c in cols
            if c.numeric and c.kind != "meta"
        },
    )
    return count


# What each metadata column holds, for the codebook.
METADATA_TEXTS = {
    "submission_id": gettext_lazy("Submission number"),
    "status": gettext_lazy(
        "How the interview ended: completed, screened out, over quota, or still open"
    ),
    "verdict": gettext_lazy("Quality control's verdict: valid, invalid or pending"),
    "language": gettext_lazy("The language the respondent answered in"),
    "mode": gettext_lazy(
        "How it was answered: web (self-completed), capi (an interviewer's tablet) or api"
    ),
    "interviewer": gettext_lazy("The interviewer's user name (empty when self-completed)"),
    "cells": gettext_lazy("The quota cells the respondent counts in, separated by ';'"),
    "started": gettext_lazy("When the interview started (ISO 8601, UTC)"),
    "ended": gettext_lazy("When the interview ended (ISO 8601, UTC)"),
    "seconds": gettext_lazy("Interview length in seconds: the time spent on its pages"),
    "weight": gettext_lazy("Raking weight (empty until the survey is weighted)"),
    "panel_id": gettext_lazy("The panel's identifier of the respondent"),
    "entry": gettext_lazy("The entry's position in its repeat: 1, 2, 3..."),
    "ip_hash": gettext_lazy("A keyed hash of the respondent's IP address"),
}


def codebook(survey: Survey, cols: list[Column], rows: Iterable[list]) -> list[dict]:
    """Return one entry per variable: its full text in every language, type, measurement
    level, skip condition, base and values.

    The full text is the question's and, for a grid row or an option's 0/1 column, the
    row's or option's. The base counts respondents asked (shown the question), of whom
    some answered and some skipped it (asked, left empty), and those not asked (hidden by
    skip logic, or never reached). Shares are of those who answered, as on the toplines.
    """
    size = len(cols)
    counts: list[dict[Any, int]] = [{} for _ in cols]
    skipped, not_asked, empty = [0] * size, [0] * size, [0] * size
    numbers: list[list[float]] = [[] for _ in cols]
    choice = [c.kind in ("single", "option") for c in cols]
    number = [
        c.kind in ("integer", "decimal", "repeat") or c.name in ("seconds", "weight", "entry")
        for c in cols
    ]
    total = 0
    for row in rows:
        total += 1
        for index, value in enumerate(row):
            if value == SKIPPED:
                skipped[index] += 1
            elif value == NOT_ASKED:
                not_asked[index] += 1
            elif value is None or value == "":
                empty[index] += 1  # metadata left empty (a weight not yet computed)
            elif choice[index]:
                counts[index][value] = counts[index].get(value, 0) + 1
            elif number[index]:
                numbers[index].append(float(value))
    entries = []
    for index, col in enumerate(cols):
        base = {
            "respondents": total,
            "asked": total - not_asked[index],
            "answered": total - skipped[index] - not_asked[index],
            "skipped": skipped[index],
            "not_asked": not_asked[index],
        }
        if col.kind == "meta":
            # nothing is asked: a metadata value is there or not (a weight not yet computed)
            texts = {code: _translated(METADATA_TEXTS[col.name], code) for code in survey.languages}
            base.update(asked="", answered=total - empty[index], skipped="", not_asked="")
        else:
            texts = {
                code: " — ".join(survey.text(part, code) for part in col.parts)
                for code in survey.languages
            }
        labels = col.value_labels or (
            {0: _("Not chosen"), 1: _("Chosen")} if col.kind == "option" else {}
        )
        values = numbers[index]
        entries.append(
            {
                "variable": col.name,
                "texts": texts,
                "type": col.kind,
                "measure": col.measure,
                "skip_condition": col.question.relevant if col.question is not None else "",
                "base": base,
                "values": [
                    (
                        code,
                        label,
                        counts[index].get(code, 0),
                        counts[index].get(code, 0) / base["answered"] if base["answered"] else 0.0,
                    )
                    for code, label in labels.items()
                ],
                "summary": (
                    {
                        "mean": sum(values) / len(values),
                        "minimum": min(values),
                        "maximum": max(values),
                    }
                    if values
                    else None
                ),
            }
        )
    return entries


def _translated(text, language: str) -> str:
    with translation.override(language):
        return str(text)


BASE_COLUMNS = ("respondents", "asked", "answered", "skipped", "not_asked")


def write_codebook(
    survey: Survey,
    entries: list[dict],
    path: Path,
    *,
    sections: Iterable[tuple[str, str, list[dict]]] = (),
) -> None:
    """Write the codebook as HTML, or as CSV when `path` ends in .csv.

    Each repeat is a section of its own (its variable, title and entries), after the
    survey's variables: in the CSV, its rows name it in a `repeat` column.
    """
    path = Path(path)
    sections = list(sections)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "repeat",
                    "variable",
                    *[f"text_{c}" for c in survey.languages],
                    "type",
                    "measure",
                    "skip_condition",
                    *BASE_COLUMNS,
                    "value",
                    "label",
                    "count",
                    "percent_of_answered",
                ]
            )
            for repeat, entry in [("", e) for e in entries] + [
                (name, e) for name, _title, section in sections for e in section
            ]:
                texts = [neutralise(entry["texts"][c]) for c in survey.languages]
                base = [entry["base"][name] for name in BASE_COLUMNS]
                values = entry["values"] or [("", "", "", "")]
                if entry["summary"]:
                    values = [
                        (name, "", "", round(entry["summary"][name], 2))
                        for name in ("mean", "minimum", "maximum")
                    ]
                for code, label, n, share in values:
                    writer.writerow(
                        [
                            repeat,
                            entry["variable"],
                            *texts,
                            entry["type"],
                            entry["measure"],
                            neutralise(entry["skip_condition"]),
                            *base,
                            code,
                            neutralise(label),
                            n,
                            f"{share:.1%}" if n != "" else share,
                        ]
                    )
        return
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>{html.escape(survey.display_title)}: codebook</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}</style>",
        f"<h1>{html.escape(survey.display_title)}</h1>",
        "<p>"
        + html.escape(
            _(
                "Base: asked (shown the question) = answered + skipped (asked, left empty); "
                "not asked = hidden by skip logic or never reached. Percentages are of those "
                "who answered, as on the toplines."
            )
        )
        + "</p><table>",
    ]
    header = (
        "<tr><th>variable</th>"
        + "".join(f"<th>{html.escape(language_name(c))}</th>" for c in survey.languages)
        + "<th>type</th><th>measure</th><th>shown when</th><th>base</th><th>values</th></tr>"
    )
    parts.append(header)
    parts.extend(_codebook_rows(survey, entries))
    parts.append("</table>")
    for name, title, section in sections:
        parts.append(
            f"<h2 id='repeat-{html.escape(name)}'>{html.escape(title)} ({html.escape(name)})</h2>"
        )
        parts.append(
            "<p>"
            + html.escape(
                _(
                    "A repeat: its own file (or sheet), one row per entry, keyed by "
                    "submission_id and the entry's position. The base counts entries."
                )
            )
            + "</p><table>"
        )
        parts.append(header)
        parts.extend(_codebook_rows(survey, section))
        parts.append("</table>")
    path.write_text("\n".join(parts), encoding="utf-8")


def _codebook_rows(survey: Survey, entries: list[dict]) -> list[str]:
    parts = []
    for entry in entries:
        values = "<br>".join(
            f"{html.escape(str(code))} = {html.escape(label)}: {n} ({share:.1%})"
            for code, label, n, share in entry["values"]
        )
        if entry["summary"]:
            values = "<br>".join(
                f"{name}: {entry['summary'][name]:.2f}" for name in ("mean", "minimum", "maximum")
            )
        base = entry["base"]
        counted = (
            f"asked {base['asked']}: answered {base['answered']}, skipped {base['skipped']}; "
            f"not asked {base['not_asked']}"
            if entry["type"] != "meta"
            else f"{base['answered']} of {base['respondents']}"
        )
        parts.append(
            f"<tr><td>{html.escape(entry['variable'])}</td>"
            + "".join(f"<td>{html.escape(entry['texts'][c])}</td>" for c in survey.languages)
            + f"<td>{entry['type']}</td><td>{entry['measure']}</td>"
            f"<td>{html.escape(entry['skip_condition'])}</td>"
            f"<td>{counted}</td>"
            f"<td>{values}</td></tr>"
        )
    return parts


def export_build(
    survey: Survey,
    fmt: str,
    path: Path,
    *,
    language: str | None = None,
    labels: bool = False,
    valid_only: bool = True,
    identifiers: bool = False,
    bom: bool = False,
    since=None,
    until=None,
    cell: str = "",
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 1000,
    notes: list[str] | None = None,
    include_test: bool = False,
) -> int:
    """Write `survey`'s dataset (or codebook) in `fmt` to `path`; return the row count.

    What the export's reader should know (every label a .sav had to shorten) is logged as
    a warning and appended to `notes` if given.

    With `progress`, call it as progress(rows_read, rows_total) before the first row,
    every `progress_every` rows, and after the last.
    """
    if language and language not in survey.languages:
        raise ValueError(f"'{language}' is not one of {', '.join(survey.languages)}")
    with translation.override(language or survey.default_language):
        return _export(
            survey,
            fmt,
            Path(path),
            language,
            labels,
            valid_only,
            identifiers,
            bom,
            since,
            until,
            cell,
            progress,
            progress_every,
            notes,
            include_test,
        )


def _counted(
    rows: Iterable[list], total: int, progress: Callable[[int, int], None], every: int
) -> Iterator[list]:
    progress(0, total)
    count = 0
    for row in rows:
        yield row
        count += 1
        if count % every == 0:
            progress(count, total)
    progress(count, total)


def _export(
    survey,
    fmt,
    path,
    language,
    labels,
    valid_only,
    identifiers,
    bom,
    since,
    until,
    cell,
    progress=None,
    progress_every=1000,
    notes=None,
    include_test=False,
) -> int:
    cols = datasets.columns(survey, language, identifiers=identifiers, test=include_test)
    queryset = submissions_matching(
        survey,
        valid_only=valid_only,
        since=since,
        until=until,
        cell=cell,
        include_test=include_test,
    )
    if fmt in ("csv", "xlsx"):
        rows = datasets.rows(survey, cols, queryset, labels=labels, **PLAIN)
    else:
        rows = datasets.rows(survey, cols, queryset)
    total = queryset.count() if progress is not None or fmt == "sav" else None
    if progress is not None:
        rows = _counted(rows, total, progress, max(1, progress_every))
    plain = PLAIN if fmt in ("csv", "xlsx") else {}
    repeats = [
        (
            repeat,
            repeat_cols,
            datasets.entry_rows(
                repeat, repeat_cols, queryset, labels=labels and bool(plain), **plain
            ),
        )
        for repeat, repeat_cols in datasets.repeat_columns(survey, language)
    ]
    if fmt == "csv":
        count = write_csv(cols, rows, path, bom=bom)
        for repeat, repeat_cols, repeat_rows in repeats:
            write_csv(repeat_cols, repeat_rows, repeat_path(path, repeat.variable), bom=bom)
        return count
    if fmt == "xlsx":
        if not repeats:
            return write_xlsx(cols, rows, path)
        return write_xlsx(cols, rows, path, repeats=[(r.variable, c, rs) for r, c, rs in repeats])
    if fmt == "sav":
        shortened: list[spss.Shortened] = []
        count = write_sav(cols, rows, path, total=total, shortened=shortened)
        for repeat, repeat_cols, repeat_rows in repeats:
            write_sav(
                repeat_cols, repeat_rows, repeat_path(path, repeat.variable), shortened=shortened
            )
        for item in shortened:
            note = f"label shortened to fit the .sav: {item} (written as {item.written!r})"
            logger.warning("%s: %s", survey.slug, note)
            if notes is not None:
                notes.append(note)
        return count
    if fmt == "codebook":
        entries = codebook(survey, cols, rows)
        sections = [
            (
                repeat.variable,
                survey.text(repeat.label, language),
                codebook(survey, repeat_cols, repeat_rows),
            )
            for repeat, repeat_cols, repeat_rows in repeats
        ]
        write_codebook(survey, entries, path, sections=sections)
        return queryset.count()
    raise ValueError(f"unknown format {fmt!r}")


def repeat_path(path: Path, variable: str) -> Path:
    """Return where a repeat's own file goes beside the dataset: `<name>-<repeat>.<ext>`."""
    return path.with_name(f"{path.stem}-{variable}{path.suffix}")
