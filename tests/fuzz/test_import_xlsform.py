"""Hostile XLSForms given to the import command: imported, or refused with a readable reason.

Hypothesis starts from a small valid form and spoils it: huge labels, NUL bytes, formulas,
unknown types, broken and deeply nested expressions, duplicate names, dropped sheets, cells
that are not UTF-8, or a file that is not a spreadsheet at all. The command must either
import it, with every row it writes fit for the database, or raise CommandError naming
where the problem is, having changed nothing.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from surveys.models import Choice, ChoiceList, GridRow, Page, Question, Survey
from tests.conftest import table_counts
from tests.fuzz.conftest import FUZZ, SCRIPT, rolled_back

pytestmark = pytest.mark.django_db

EN, RU = "label::English (en)", "label::Russian (ru)"
SURVEY = [
    {"type": "begin group", "name": "p1", EN: "One", RU: "Один"},
    {"type": "integer", "name": "age", EN: "Age", RU: "Возраст", "required": "yes"},
    {"type": "select_one yn", "name": "q1", EN: "Q1", RU: "В1", "relevant": "${age} > 17"},
    {"type": "text", "name": "why", EN: "Why", RU: "Почему", "constraint": "string-length(.) > 1"},
    {"type": "end group"},
    {"type": "begin group", "name": "grid", EN: "Rate", RU: "Оцените", "appearance": "table-list"},
    {"type": "select_one yn", "name": "g1", EN: "G1", RU: "Г1"},
    {"type": "select_one yn", "name": "g2", EN: "G2", RU: "Г2"},
    {"type": "end group"},
]
CHOICES = [
    {"list_name": "yn", "name": "yes", EN: "Yes", RU: "Да"},
    {"list_name": "yn", "name": "no", EN: "No", RU: "Нет"},
]
SETTINGS = [{"form_title::English (en)": "Fuzz", "form_title::Russian (ru)": "Фазз"}]
COLUMNS = [
    "type",
    "name",
    EN,
    RU,
    "hint::English (en)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::Russian (ru)",
    "appearance",
    "min_value",
    "max_value",
    "screening",
    "choice_filter",
    "list_name",
    "default_language",
    "version",
    "form_title",
    "sample_target",
    "fieldwork_start",
    "label",
    "label::Klingon",
]
HOSTILE_CELLS = [
    "x" * 100_000,
    "\x00",
    "a\x00b",
    "\x01\x1f",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil", "x")',
    "+1+1",
    "@SUM(1)",
    "geopoint",
    "select_one nolist",
    "select_multiple yn",
    "select_one yn or_other",
    "select_one_from_file x.csv",
    "begin repeat",
    "end repeat",
    "begin group",
    "end group",
    "calculate",
    "${",
    "${age",
    "${nobody} = 1",
    "${age} >",
    "selected(${q1})",
    "regex(., 'a+')",
    "(" * 1200 + "1" + ")" * 1200,
    "(" * 500 + "1" + ")" * 500,
    "not(" * 300 + "1" + ")" * 300,
    "-" * 1999 + "1",
    "__import__('os').system('true')",
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "age",
    "q1",
    "g1",
    "p1",
    "",
    " ",
    "yes",
    "maybe",
    "true()",
    "1e400",
    "NaN",
    "-0",
    "99999999999999999999",
    "2024-13-45",
    "a" * 101,
    "multiline " * 20,
    "Ωmega",
    "\u202e\ufeff",
    "\ud800",  # written as bytes that are not UTF-8
    ',"\r\n',
]
cell = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=30))


def sheets_as_csv(sheets: dict[str, list[dict]]) -> bytes:
    """Write pyxform's CSV layout; text with lone surrogates becomes bytes that are not UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for sheet, rows in sheets.items():
        header = list(dict.fromkeys(key for row in rows for key in row))
        writer.writerow([sheet])
        writer.writerow(["", *header])
        for row in rows:
            writer.writerow(["", *(row.get(key, "") for key in header)])
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def sheets_as_xlsx(sheets: dict[str, list[dict]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet, rows in sheets.items():
        worksheet = workbook.create_sheet(sheet)
        header = list(dict.fromkeys(key for row in rows for key in row))
        worksheet.append(header)
        for row in rows:
            # openpyxl itself refuses control characters and lone surrogates in a cell.
            worksheet.append([_xlsx_safe(row.get(key, "")) for key in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_safe(value: str) -> str:
    value = value.encode("utf-8", "replace").decode("utf-8")
    return "".join(c for c in value if c >= " " or c in "\t\n\r")[:32_000]


@st.composite
def hostile_forms(draw) -> tuple[str, bytes]:
    """Return (file name, contents) of a form spoiled in a few places."""
    sheets = {
        "survey": [dict(row) for row in SURVEY],
        "choices": [dict(row) for row in CHOICES],
        "settings": [dict(row) for row in SETTINGS],
    }
    for _ in range(draw(st.integers(0, 6))):
        sheet = draw(st.sampled_from(sorted(sheets)))
        rows = sheets[sheet]
        if draw(st.booleans()) or not rows:
            rows.insert(draw(st.integers(0, len(rows))), {})
        row = rows[draw(st.integers(0, len(rows) - 1))]
        row[draw(st.sampled_from(COLUMNS))] = draw(cell)
    for sheet in draw(st.sets(st.sampled_from(sorted(sheets)), max_size=2)):
        del sheets[sheet]
    kind = draw(st.sampled_from(["csv", "csv", "csv", "xlsx", "junk", "csv-as-xlsx"]))
    if kind == "csv":
        return "form.csv", sheets_as_csv(sheets)
    if kind == "xlsx":
        return "form.xlsx", sheets_as_xlsx(sheets)
    if kind == "csv-as-xlsx":
        return draw(st.sampled_from(["form.xlsx", "form.xls"])), sheets_as_csv(sheets)
    junk = draw(st.one_of(st.binary(max_size=200), st.sampled_from([b"PK\x03\x04junk", b""])))
    return draw(st.sampled_from(["form.csv", "form.xlsx", "form.xls"])), junk


PLACES = ("row ", "column", "settings", "choice list", "sheet", "language", "form.")


def assert_readable(message: str) -> None:
    """A refusal is a few lines of plain text that say where the problem is."""
    assert message.strip()
    assert "Traceback" not in message
    lines = message.splitlines()
    assert lines[0].endswith("was not imported; nothing was changed:")
    for line in lines[1:]:
        assert len(line) <= 410, line[:200]
        assert line.isprintable(), line[:200]
        assert any(place in line for place in PLACES), line


def assert_fit_for_the_database(slug: str) -> None:
    """Every row the import wrote passes the model's own validation (lengths, names)."""
    survey = Survey.objects.get(slug=slug)
    survey.full_clean()
    for model in (Page, Question, ChoiceList):
        for item in model.objects.filter(survey=survey):
            item.full_clean()
    for item in Choice.objects.filter(choice_list__survey=survey):
        item.full_clean()
    for item in GridRow.objects.filter(question__survey=survey):
        item.full_clean()
    for question in Question.objects.filter(survey=survey):
        texts = [question.relevant, question.constraint, question.appearance]
        texts += [*question.label.values(), *question.hint.values()]
        assert all("\x00" not in text for text in texts)


def test_a_hostile_xlsform_is_imported_or_refused_with_a_readable_reason():
    with tempfile.TemporaryDirectory() as folder:

        @FUZZ
        @given(form=hostile_forms(), existing=st.booleans())
        def check(form, existing):
            name, contents = form
            path = Path(folder) / name
            path.write_bytes(contents)
            with rolled_back():
                if existing:  # an earlier import of the same survey, still a draft
                    clean = Path(folder) / "clean.csv"
                    clean.write_bytes(
                        sheets_as_csv({"survey": SURVEY, "choices": CHOICES, "settings": SETTINGS})
                    )
                    call_command(
                        "import_xlsform", str(clean), "--slug", "fuzzed", stdout=io.StringIO()
                    )
                before = table_counts()
                try:
                    call_command(
                        "import_xlsform", str(path), "--slug", "fuzzed", stdout=io.StringIO()
                    )
                except CommandError as error:
                    assert_readable(str(error))
                    assert table_counts() == before
                    return
                assert_fit_for_the_database("fuzzed")

        check()


@pytest.mark.parametrize(
    "slug", ["", "a b", "a\x00b", "x" * 200, "ü", "../etc", SCRIPT, "\ud800", "-"]
)
def test_a_hostile_slug_is_refused_or_used_as_given(make_form, slug):
    path = make_form(SURVEY, CHOICES, SETTINGS[0])
    before = table_counts()
    try:
        call_command("import_xlsform", str(path), "--slug", slug, stdout=io.StringIO())
    except CommandError as error:
        assert "slug" in str(error)
        assert table_counts() == before
    else:
        assert Survey.objects.get(slug=slug).slug == slug


@pytest.mark.parametrize(
    ("sheet", "index", "column", "value", "where"),
    [
        ("survey", 1, "appearance", "a\x00b", "survey sheet, row 3, column 'appearance'"),
        ("choices", 0, "name", "a\x00b", "choices sheet, row 2, column 'name'"),
        ("settings", 0, "version", "2024\x00", "settings sheet, row 2, column 'version'"),
        ("survey", 2, "hint::English (en)", "\x1b[31m", "survey sheet, row 4"),
        ("survey", 1, "appearance", "x" * 101, "row 3 (age), column 'appearance': longer than 100"),
        ("survey", 1, "appearance", "x" * 100_000, "row 3, column 'appearance': the text has"),
        ("survey", 3, "name", "x" * 100_000, "row 5 (" + "x" * 40 + "...), column 'name': the"),
    ],
)
def test_a_cell_the_database_cannot_hold_is_refused_with_its_place(
    make_form, sheet, index, column, value, where
):
    sheets = {"survey": SURVEY, "choices": CHOICES, "settings": SETTINGS}
    rows = [dict(row) for row in sheets[sheet]]
    rows[index][column] = value
    sheets = {**sheets, sheet: rows}
    path = make_form(sheets["survey"], sheets["choices"], sheets["settings"][0])
    before = table_counts()
    with pytest.raises(CommandError) as refused:
        call_command("import_xlsform", str(path), "--slug", "fuzzed", stdout=io.StringIO())
    assert where in str(refused.value)
    assert_readable(str(refused.value))
    assert table_counts() == before
