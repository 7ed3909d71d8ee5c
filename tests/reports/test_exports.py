import csv

import openpyxl
import pyreadstat
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from respondents.models import Submission, SurveyStats, Verdict
from respondents.selectors import submissions_matching
from respondents.validation import submission_validate
from tests.respondents.conftest import Respondent_, invite
from tests.respondents.test_validation import attentive

pytestmark = pytest.mark.django_db


def export(tmp_path, fmt, *args, name=None):
    path = tmp_path / (name or f"out.{fmt if fmt != 'codebook' else 'html'}")
    call_command("export", "gt2024-kazakhstan", "--format", fmt, "--output", str(path), *args)
    return path


def valid_count(survey):
    return SurveyStats.objects.get(survey=survey).valid


def test_csv_has_one_row_per_valid_respondent_and_01_columns(kazakhstan_fieldwork, tmp_path):
    with export(tmp_path, "csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == valid_count(kazakhstan_fieldwork) > 0
    assert {row["verdict"] for row in rows} == {"valid"}
    assert {row["impress_growth"] for row in rows} <= {"0", "1"}
    assert "impress" not in rows[0]
    assert "panel_id" not in rows[0] and "ip_hash" not in rows[0]
    unsuccessful = [r for r in rows if r["china_model"] in ("3", "4", "5")]
    assert unsuccessful and all(r["china_model_value_for_kazakhstan"] == "" for r in unsuccessful)


def test_csv_labels_in_russian_and_kazakh_with_a_bom(kazakhstan_fieldwork, tmp_path):
    ru = export(tmp_path, "csv", "--labels", "--lang", "ru", "--bom", name="ru.csv")
    assert ru.read_bytes().startswith(b"\xef\xbb\xbf")
    text = ru.read_text(encoding="utf-8-sig")
    assert "город Астана" in text or "Акмолинская область" in text
    kk = export(tmp_path, "csv", "--labels", "--lang", "kk", name="kk.csv").read_text("utf-8")
    assert "облысы" in kk


def test_identifiers_only_when_asked(kazakhstan_fieldwork, tmp_path):
    with export(tmp_path, "csv", "--identifiers").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["panel_id"].startswith("sim-") and len(row["ip_hash"]) == 64


def test_a_formula_typed_by_a_respondent_is_neutralised(kazakhstan_fieldwork, tmp_path):
    person = Respondent_(invite(kazakhstan_fieldwork, "evil", region="astana", age=41))
    person.finish(
        "ru", **attentive(work_willing="1", work_reason='=HYPERLINK("http://x","Зарплата")')
    )
    submission_validate(person.submission.pk)
    with export(tmp_path, "csv", "--all").open(encoding="utf-8") as handle:
        reasons = [row["work_reason"] for row in csv.DictReader(handle)]
    assert '\'=HYPERLINK("http://x","Зарплата")' in reasons
    sheet = openpyxl.load_workbook(export(tmp_path, "xlsx", "--all"), read_only=True).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert '\'=HYPERLINK("http://x","Зарплата")' in cells
    assert not any(c.startswith("=") for c in cells)


def test_xlsx_reads_back_with_openpyxl(kazakhstan_fieldwork, tmp_path):
    workbook = openpyxl.load_workbook(export(tmp_path, "xlsx"), read_only=True)
    rows = list(workbook["data"].iter_rows(values_only=True))
    assert len(rows) - 1 == valid_count(kazakhstan_fieldwork)
    assert rows[0][:3] == ("age", "gender", "region")


def test_sav_has_labels_measures_and_missing_codes(kazakhstan_fieldwork, tmp_path):
    frame, meta = pyreadstat.read_sav(
        str(export(tmp_path, "sav", "--lang", "ru")), user_missing=True
    )
    assert len(frame) == valid_count(kazakhstan_fieldwork)
    assert meta.column_names_to_labels["work_willing"].startswith("Насколько вы готовы работать")
    assert meta.variable_value_labels["work_willing"][1] == "Полностью готов(а)"
    assert meta.variable_measure["age"] == "scale"
    assert meta.variable_measure["sco_support"] == "ordinal"
    assert meta.variable_measure["region"] == "nominal"
    not_asked = frame[frame["china_model"].isin([3, 4, 5])]["china_model_value_for_kazakhstan"]
    assert len(not_asked) and set(not_asked) == {-99}
    assert meta.variable_value_labels["china_model_value_for_kazakhstan"][-99] == "Не задавался"
    _, kk_meta = pyreadstat.read_sav(str(export(tmp_path, "sav", "--lang", "kk", name="kk.sav")))
    assert kk_meta.variable_value_labels["work_willing"][1] != "Полностью готов(а)"


def test_codebook_lists_texts_in_both_languages_with_counts(kazakhstan_fieldwork, tmp_path):
    page = export(tmp_path, "codebook").read_text(encoding="utf-8")
    assert "Сіз неше жастасыз" in page and "Сколько вам полных лет?" in page
    assert "${china_model} = &#x27;1&#x27;" in page or "china_model" in page
    with export(tmp_path, "codebook", name="codebook.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    region = [r for r in rows if r["variable"] == "region"]
    assert len(region) == 17
    assert sum(int(r["count"]) for r in region) == valid_count(kazakhstan_fieldwork)


def test_an_unknown_language_is_refused(kazakhstan_fieldwork, tmp_path):
    with pytest.raises(CommandError, match="'fr' is not one of kk, ru"):
        export(tmp_path, "csv", "--lang", "fr")


def test_all_includes_invalid_and_screened_out(kazakhstan_fieldwork, tmp_path):
    with export(tmp_path, "csv", "--all").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == Submission.objects.filter(survey=kazakhstan_fieldwork).count()
    assert {"invalid", "valid"} <= {row["verdict"] for row in rows}
    assert Verdict.PENDING not in {row["verdict"] for row in rows if row["status"] == "completed"}


def test_sav_holds_every_row_when_more_come_than_announced(kazakhstan_fieldwork, tmp_path):
    from reports import datasets
    from reports.exports import write_sav

    cols = datasets.columns(kazakhstan_fieldwork, "ru")
    rows = (
        list(
            datasets.rows(
                kazakhstan_fieldwork,
                cols,
                submissions_matching(kazakhstan_fieldwork, valid_only=True),
            )
        )
        * 30
    )
    assert len(rows) > 1024  # past the first allocation, so the array has to grow
    assert write_sav(cols, iter(rows), tmp_path / "grown.sav", total=10) == len(rows)
    frame, _ = pyreadstat.read_sav(str(tmp_path / "grown.sav"), user_missing=True)
    assert len(frame) == len(rows)
    assert list(frame["age"][-3:]) == [float(r[0]) for r in rows[-3:]]
