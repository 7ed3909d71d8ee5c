import csv

import pytest
from django.core.management import call_command

from surveys.demo import DEMO_DIR
from surveys.models import Survey
from surveys.selectors import survey_definition
from surveys.services import survey_import_xlsform
from tests.conftest import SHARED_FORMS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize(
    "source",
    [
        DEMO_DIR / "kazakhstan.csv",
        DEMO_DIR / "china.csv",
        SHARED_FORMS / "widgets.xls",
        SHARED_FORMS / "specify_other.xlsx",
        SHARED_FORMS / "group.xlsx",
        SHARED_FORMS / "choice_filter_test.xlsx",
    ],
    ids=lambda path: path.name,
)
def test_import_export_import_gives_an_equal_survey(source, suffix, tmp_path):
    original = survey_import_xlsform(source, "original", skip_unsupported=True).survey
    exported = tmp_path / f"exported{suffix}"
    call_command("export_xlsform", "original", str(exported))
    copy = survey_import_xlsform(exported, "copy").survey
    assert survey_definition(copy) == survey_definition(original)
    assert copy.questions.count() == original.questions.count() > 0


def test_a_label_that_looks_like_a_formula_stays_text_in_xlsx(make_form, tmp_path):
    path = make_form(
        [{"type": "text", "name": "q", "label::English (en)": "=1+1 is two"}],
    )
    survey_import_xlsform(path, "formula")
    exported = tmp_path / "formula.xlsx"
    call_command("export_xlsform", "formula", str(exported))
    survey_import_xlsform(exported, "formula-copy")
    assert Survey.objects.get(slug="formula-copy").questions.get().label == {"en": "=1+1 is two"}


@pytest.mark.parametrize("label", ["=1+1 is two", "＝HYPERLINK(1)", "-5 degrees", "'plain"])
def test_a_formula_like_label_is_neutralised_in_csv_and_comes_back_unchanged(
    make_form, tmp_path, label
):
    survey_import_xlsform(
        make_form([{"type": "text", "name": "q", "label::English (en)": label}]), "formula"
    )
    exported = tmp_path / "formula.csv"
    call_command("export_xlsform", "formula", str(exported))
    cells = [cell for row in csv.reader(exported.open(encoding="utf-8")) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "＝", "＋", "－", "＠")) for cell in cells)
    survey_import_xlsform(exported, "formula-copy")
    assert Survey.objects.get(slug="formula-copy").questions.get().label == {"en": label}


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_repeats_calculations_filters_and_metadata_survive_a_round_trip(
    make_form, suffix, tmp_path
):
    from tests.respondents.test_form_features import CHOICES, ROWS, SETTINGS

    original = survey_import_xlsform(make_form(ROWS, CHOICES, SETTINGS), "original").survey
    exported = tmp_path / f"exported{suffix}"
    call_command("export_xlsform", "original", str(exported))
    copy = survey_import_xlsform(exported, "copy").survey
    definition = survey_definition(copy)
    assert definition == survey_definition(original)
    members = next(q for q in definition.questions() if q.variable == "members")
    assert [child.variable for child in members.children] == ["mname", "mage", "works"]
    district = next(q for q in definition.questions() if q.variable == "district")
    assert district.choice_filter == "region = ${region}"
    size = next(q for q in definition.questions() if q.variable == "size")
    assert size.calculation == "count(${members})"
    assert copy.questions.get(variable="started_at").type == "start"
