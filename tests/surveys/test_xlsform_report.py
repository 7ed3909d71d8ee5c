"""An import report lists every problem at once, each with its sheet, row and column
(issue 14.8), and a form past a documented limit is refused before it costs much (14.4)."""

import zipfile

import pytest

from surveys import limits
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.services import survey_import_xlsform
from tests.surveys.test_xlsform_import import KK, RU, SETTINGS, YESNO, survey_rows

pytestmark = pytest.mark.django_db


def errors_of(path) -> list[str]:
    with pytest.raises(SurveyError) as refused:
        survey_import_xlsform(path, "report")
    assert not Survey.objects.filter(slug="report").exists()
    return refused.value.errors


BACKREFERENCE = r"regex(., '(1)\1')"  # RE2 runs no back-references


def test_an_expression_error_is_reported_beside_the_other_problems(make_form):
    rows = survey_rows(
        {"type": "text", "name": "comment", KK: "Пікір", RU: ""},
        {"type": "integer", "name": "n", KK: "Сан", RU: "Число", "constraint": BACKREFERENCE},
    )
    errors = errors_of(make_form(rows, YESNO, SETTINGS))
    assert any("row 5 (comment)" in e and "'label::Russian (ru)'" in e for e in errors)
    assert any(
        e.startswith("survey sheet, row 6 (n), column 'constraint'") and "RE2" in e for e in errors
    )


def test_a_choice_missing_a_text_is_named_by_its_sheet_row_and_column(make_form):
    choices = [*YESNO, {"list_name": "yesno", "name": "3", KK: "Білмеймін", RU: ""}]
    (error,) = errors_of(make_form(survey_rows(), choices, SETTINGS))
    assert error.startswith("choices sheet, row 4 (choice list 'yesno', choice '3')")
    assert "column 'label::Russian (ru)'" in error


def test_a_language_named_without_its_code_is_read_and_warned_about_once(make_form):
    rows = [
        {"type": "text", "name": f"t{i}", "label::chinese": "问题", "hint::chinese": "提示"}
        for i in range(25)
    ]
    result = survey_import_xlsform(make_form(rows), "named")
    assert result.survey.languages == ["zh-hans"]
    assert result.survey.questions.get(variable="t3").label == {"zh-hans": "问题"}
    about = [note for note in result.notes if "chinese" in note]
    assert about == [
        "survey sheet, columns 'label::chinese', 'hint::chinese': language 'chinese' is read "
        "as Simplified Chinese (zh-hans); name it 'Simplified Chinese (zh-hans)' in the "
        "column headers"
    ]


def test_an_unknown_language_name_is_reported_once_with_its_columns(make_form):
    rows = [
        {"type": "text", "name": f"t{i}", "label::klingon": "Qapla'", "hint::klingon": "?"}
        for i in range(25)
    ]
    errors = errors_of(make_form(rows))
    about = [e for e in errors if "klingon" in e]
    assert len(about) == 1
    assert "survey sheet, columns 'label::klingon', 'hint::klingon'" in about[0]


def test_a_too_long_label_is_refused_with_the_other_problems(make_form):
    rows = survey_rows(
        {"type": "text", "name": "long", KK: "ұ" * 5_000, RU: "Длинный"},
        {"type": "integer", "name": "n", KK: "Сан", RU: "Число", "constraint": "pulldata('x', 1)"},
    )
    errors = errors_of(make_form(rows, YESNO, SETTINGS))
    assert any(
        e.startswith("survey sheet, row 5, column 'label::Kazakh (kk)'") and "5,000 characters" in e
        for e in errors
    )
    assert any("row 6 (n), column 'constraint'" in e for e in errors)


def test_a_choice_list_longer_than_the_limit_is_refused(make_form):
    choices = [
        {"list_name": "many", "name": str(i), KK: f"k{i}", RU: f"r{i}"}
        for i in range(limits.MAX_CHOICES_PER_LIST + 1)
    ]
    rows = survey_rows({"type": "select_one many", "name": "pick", KK: "Таңда", RU: "Выбор"})
    errors = errors_of(make_form(rows, [*YESNO, *choices], SETTINGS))
    assert any("list 'many'" in e and "at most 2,000" in e for e in errors)


def test_a_page_asking_too_much_is_refused(make_form):
    many = [
        {"type": "integer", "name": f"n{i}", KK: "Сан", RU: "Число"}
        for i in range(limits.MAX_ANSWERS_PER_PAGE)
    ]
    errors = errors_of(make_form(survey_rows(*many), YESNO, SETTINGS))
    assert any(e.startswith("survey sheet, row 2 (p1)") and "102 answers" in e for e in errors)


def test_too_many_rows_are_refused_before_the_form_is_read(make_form):
    rows = [
        {"type": "note", "name": f"n{i}", "label": "x"} for i in range(limits.MAX_SHEET_ROWS + 1)
    ]
    (error,) = errors_of(make_form(rows))
    assert "survey sheet: 10,001 rows" in error


def test_a_file_too_large_is_refused_unread(make_form, settings, monkeypatch):
    path = make_form(survey_rows(), YESNO, SETTINGS)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", path.stat().st_size - 1)
    (error,) = errors_of(path)
    assert "form.csv: the file has" in error


def test_an_xlsx_that_unpacks_to_too_much_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.xml", b" " * (limits.MAX_UNPACKED_BYTES + 1))
    assert path.stat().st_size < limits.MAX_FILE_BYTES
    (error,) = errors_of(path)
    assert "bomb.xlsx: the workbook unpacks to" in error


def test_the_limits_are_translated(make_form, monkeypatch):
    from django.utils import translation

    path = make_form(survey_rows(), YESNO, SETTINGS)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10)
    with translation.override("ru"):
        (error,) = errors_of(path)
    assert "байт" in error


def test_problems_in_the_survey_and_settings_sheets_name_their_columns(make_form):
    rows = survey_rows(
        {"type": "integer", "name": "n", KK: "Сан", RU: "Число", "min_value": "many"},
        {"type": "text", "name": "t", KK: "Мәтін", RU: "Текст", "required": "maybe"},
    )
    errors = errors_of(make_form(rows, YESNO, {**SETTINGS, "fieldwork_start": "soon"}))
    assert any(e.startswith("survey sheet, row 5 (n), column 'min_value'") for e in errors)
    assert any(e.startswith("survey sheet, row 6 (t), column 'required'") for e in errors)
    assert any(e.startswith("settings sheet, row 2, column 'fieldwork_start'") for e in errors)


def test_what_is_left_out_and_the_notes_are_in_the_language_active_at_import(make_form):
    from django.utils import translation

    from surveys.xlsform.reader import locate

    rows = survey_rows(
        {"type": "geopoint", "name": "where", KK: "Қайда", RU: "Где"},
        {"type": "integer", "name": "n", KK: "Сан", RU: "Число", "constraint": BACKREFERENCE},
        {"type": "text", "name": "t", KK: "Мәтін", RU: "Текст", "default": "x"},
    )
    path = make_form(rows, YESNO, SETTINGS)
    with translation.override("ru"):
        result = survey_import_xlsform(path, "report", skip_unsupported=True)
    where, constraint = (locate(line) for line in result.skipped)
    assert (where.sheet, where.row, where.name, where.column) == ("survey", 5, "where", "")
    assert where.problem == "вопросы типа «geopoint»"
    assert (constraint.row, constraint.name, constraint.column) == (6, "n", "constraint")
    assert constraint.problem.startswith(f"«{BACKREFERENCE}»: шаблон regex()")
    assert constraint.problem.endswith(
        "вопрос сохранён без этого: принимается любой ответ его типа"
    )
    assert result.notes == ["столбец «default» этой системой не используется (строки 7)"]
    # Read again in English: nothing said in Russian is kept.
    Survey.objects.all().delete()
    result = survey_import_xlsform(path, "report", skip_unsupported=True)
    assert result.skipped[0] == "survey sheet, row 5 (where): questions of type 'geopoint'"
    assert result.notes == ["the column 'default' is not used by this system (rows 7)"]
