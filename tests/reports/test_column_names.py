"""Export columns: never two of one name, and every answer where its name says (issue 14.2)."""

import csv

import openpyxl
import pyreadstat
import pytest
from django.core.management import call_command
from django.utils import timezone

from reports import datasets
from reports.variable_names import unique_names
from respondents.models import Respondent, Submission, Verdict
from surveys.services import survey_import_xlsform

pytestmark = pytest.mark.django_db

ROWS = [
    {"type": "select_multiple opts", "name": "m", "label": "M"},
    {"type": "integer", "name": "m_a_b", "label": "M a b"},
    {"type": "integer", "name": "status", "label": "Status as asked"},
    {"type": "integer", "name": "weight", "label": "Weight in kg"},
    {"type": "integer", "name": "q-1", "label": "Q dash"},
    {"type": "integer", "name": "q_1", "label": "Q underscore"},
    {"type": "integer", "name": "Q_1", "label": "Q capital"},
    {"type": "integer", "name": "to", "label": "A reserved word in SPSS"},
]
CHOICES = [
    {"list_name": "opts", "name": "a-b", "label": "dash"},
    {"list_name": "opts", "name": "a_b", "label": "underscore"},
    {"list_name": "opts", "name": "a.b", "label": "dot"},
]
ANSWERS = {
    "m": ["a_b", "a.b"],
    "m_a_b": 7,
    "status": 11,
    "weight": 72,
    "q-1": 1,
    "q_1": 2,
    "Q_1": 3,
    "to": 4,
}
EXPECTED = {
    "m_a_b_2": 0,  # option a-b
    "m_a_b_3": 1,  # option a_b
    "m_a_b_4": 1,  # option a.b
    "m_a_b": 7,
    "status_2": 11,
    "weight_2": 72,
    "q_1_2": 1,  # q-1 gives way to q_1, which is a name as it stands
    "q_1": 2,
    "Q_1_3": 3,  # SPSS ignores case: Q_1 is q_1
    "v_to": 4,
}


@pytest.fixture
def colliding(make_form):
    survey = survey_import_xlsform(make_form(ROWS, CHOICES), "colliding").survey
    respondent = Respondent.objects.create(survey=survey, token="t-colliding", panel_id="p1")
    Submission.objects.create(
        survey=survey,
        respondent=respondent,
        language=survey.default_language,
        status=Submission.Status.COMPLETED,
        verdict=Verdict.VALID,
        answers=ANSWERS,
        ended=timezone.now(),
    )
    return survey


def export(survey, tmp_path, fmt, name):
    path = tmp_path / name
    call_command("export", survey.slug, "--format", fmt, "--output", str(path))
    return path


def test_the_rule_is_deterministic_and_ignores_case():
    names = unique_names(["a-b", "a_b", "A_B", "status"], ["status"])
    assert names == ["a_b_2", "a_b", "A_B_3", "status_2"]
    assert unique_names(["a-b", "a_b", "A_B", "status"], ["status"]) == names


def test_a_long_name_is_cut_to_64_and_stays_unique():
    long = "x" * 70
    names = unique_names([long, long + "y", long + "z"], [])
    assert all(len(name) <= 64 for name in names)
    assert len({name.lower() for name in names}) == 3


def test_every_column_name_is_unique_and_apart_from_the_metadata(colliding):
    cols = datasets.columns(colliding, identifiers=True)
    names = [col.name.lower() for col in cols]
    assert len(names) == len(set(names))
    assert [col.name for col in cols if col.kind == "meta"] == list(
        datasets.METADATA + datasets.IDENTIFIERS
    )


def test_the_csv_header_names_each_column_once_with_its_answer(colliding, tmp_path):
    with export(colliding, tmp_path, "csv", "out.csv").open(encoding="utf-8") as handle:
        header, row = list(csv.reader(handle))
    assert len(header) == len(set(header))
    values = dict(zip(header, row, strict=True))
    assert {name: values[name] for name in EXPECTED} == {
        name: str(value) for name, value in EXPECTED.items()
    }
    assert values["status"] == "completed" and values["weight"] == ""


def test_the_xlsx_header_names_each_column_once(colliding, tmp_path):
    sheet = openpyxl.load_workbook(export(colliding, tmp_path, "xlsx", "out.xlsx")).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert len(header) == len(set(header))
    assert dict(zip(header, row, strict=True))["status_2"] == 11


def test_the_sav_keeps_every_answer_under_its_own_name(colliding, tmp_path):
    frame, meta = pyreadstat.read_sav(str(export(colliding, tmp_path, "sav", "out.sav")))
    assert len(meta.column_names) == len({name.lower() for name in meta.column_names})
    record = frame.iloc[0]
    assert {name: record[name] for name in EXPECTED} == EXPECTED
    assert record["status"] == "completed"
    assert meta.column_names_to_labels["status_2"] == "Status as asked"
    assert meta.column_names_to_labels["m_a_b_4"] == "M — dot"


def test_the_codebook_lists_each_variable_once(colliding, tmp_path):
    path = export(colliding, tmp_path, "codebook", "codebook.csv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    variables = list(dict.fromkeys(row["variable"] for row in rows))
    assert set(EXPECTED) <= set(variables)
    # `status` and `weight` name the metadata columns (the codebook describes those too);
    # the questions of those names are `status_2` and `weight_2`.
    for name in ("status", "weight"):
        described = " ".join(" ".join(row.values()) for row in rows if row["variable"] == name)
        assert "as asked" not in described.lower()
