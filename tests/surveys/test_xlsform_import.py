import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.errors import SurveyError
from surveys.models import Question, Survey
from surveys.services import survey_import_xlsform, survey_set_status
from tests.conftest import SHARED_FORMS, go_live, table_counts

pytestmark = pytest.mark.django_db

KK, RU = "label::Kazakh (kk)", "label::Russian (ru)"
SETTINGS = {"form_title::Kazakh (kk)": "Сауалнама", "form_title::Russian (ru)": "Опрос"}
YESNO = [
    {"list_name": "yesno", "name": "1", KK: "Иә", RU: "Да"},
    {"list_name": "yesno", "name": "2", KK: "Жоқ", RU: "Нет"},
]


def survey_rows(*extra):
    return [
        {"type": "begin group", "name": "p1", KK: "Бірінші бет", RU: "Первая страница"},
        {
            "type": "integer",
            "name": "age",
            KK: "Жасыңыз?",
            RU: "Ваш возраст?",
            "required": "yes",
            "min_value": "0",
            "max_value": "120",
            "screening": ". >= 18 and . <= 70",
        },
        {
            "type": "select_one yesno",
            "name": "visited",
            KK: "Болдыңыз ба?",
            RU: "Бывали?",
            "required": "yes",
        },
        *extra,
        {"type": "end group"},
    ]


def run_import(path, slug="kz", **options):
    return call_command("import_xlsform", str(path), slug=slug, **options)


def test_it_imports_a_bilingual_form(make_form):
    path = make_form(survey_rows(), YESNO, SETTINGS)
    result = survey_import_xlsform(path, "kz")
    survey = result.survey
    assert result.created
    assert survey.languages == ["kk", "ru"]
    assert survey.default_language == "kk"
    assert survey.title == {"kk": "Сауалнама", "ru": "Опрос"}
    age = survey.questions.get(variable="age")
    assert age.type == Question.Type.INTEGER
    assert age.label == {"kk": "Жасыңыз?", "ru": "Ваш возраст?"}
    assert (age.min_value, age.max_value) == (0, 120)
    assert age.screening == ". >= 18 and . <= 70"
    visited = survey.questions.get(variable="visited")
    assert [c.label["ru"] for c in visited.choice_list.choices.all()] == ["Да", "Нет"]


def test_a_table_list_group_becomes_a_grid(make_form):
    grid = [
        {
            "type": "begin group",
            "name": "roles",
            KK: "Рөлі",
            RU: "Роль",
            "appearance": "table-list",
            "relevant": "${visited} = '1'",
        },
        {"type": "select_one yesno", "name": "role_us", KK: "АҚШ", RU: "США", "required": "yes"},
        {
            "type": "select_one yesno",
            "name": "role_cn",
            KK: "Қытай",
            RU: "Китай",
            "required": "yes",
        },
        {"type": "end group"},
    ]
    survey = survey_import_xlsform(make_form(survey_rows(*grid), YESNO, SETTINGS), "kz").survey
    question = survey.questions.get(variable="roles")
    assert question.type == Question.Type.GRID
    assert question.required
    assert question.relevant == "${visited} = '1'"
    assert [(r.variable, r.label["ru"]) for r in question.rows.all()] == [
        ("role_us", "США"),
        ("role_cn", "Китай"),
    ]


def test_running_it_again_updates_the_draft_in_place(make_form):
    survey_import_xlsform(make_form(survey_rows(), YESNO, SETTINGS), "kz")
    age_id = Question.objects.get(variable="age").pk
    changed = survey_rows()
    changed[1] = {**changed[1], RU: "Сколько вам лет?"}
    changed.insert(1, changed.pop(2))  # visited now comes first
    result = survey_import_xlsform(make_form(changed, YESNO, SETTINGS, name="v2.csv"), "kz")
    assert result.changed and not result.created
    assert list(result.survey.questions.values_list("variable", flat=True)) == ["visited", "age"]
    age = Question.objects.get(variable="age")
    assert age.pk == age_id
    assert age.label["ru"] == "Сколько вам лет?"


def test_running_it_again_unchanged_writes_nothing(make_form):
    path = make_form(survey_rows(), YESNO, SETTINGS)
    first = survey_import_xlsform(path, "kz").survey
    again = survey_import_xlsform(path, "kz")
    assert not again.changed
    assert Survey.objects.get().updated == first.updated


def test_a_question_removed_from_the_form_is_removed_from_the_draft(make_form):
    extra = {"type": "text", "name": "comment", KK: "Пікір", RU: "Комментарий"}
    survey_import_xlsform(make_form(survey_rows(extra), YESNO, SETTINGS), "kz")
    survey_import_xlsform(make_form(survey_rows(), YESNO, SETTINGS, name="v2.csv"), "kz")
    assert not Question.objects.filter(variable="comment").exists()


def assert_rejected(path, *messages, slug="kz", **options):
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        run_import(path, slug=slug, **options)
    text = str(raised.value)
    assert "nothing was changed" in text
    for message in messages:
        assert message in text
    assert table_counts() == before
    return text


def test_an_unsupported_type_is_named_with_its_row_and_nothing_is_written(make_form):
    rows = survey_rows({"type": "geopoint", "name": "where", KK: "Қайда", RU: "Где"})
    assert_rejected(make_form(rows, YESNO, SETTINGS), "row 5 (where)", "'geopoint'")


def test_skip_unsupported_imports_the_rest_and_lists_what_it_skipped(make_form, capsys):
    rows = survey_rows({"type": "geopoint", "name": "where", KK: "Қайда", RU: "Где"})
    run_import(make_form(rows, YESNO, SETTINGS), skip_unsupported=True)
    out = capsys.readouterr().out
    assert "skipped survey sheet, row 5 (where)" in out
    assert list(Question.objects.values_list("variable", flat=True)) == ["age", "visited"]


def test_a_missing_choice_list_is_an_error(make_form):
    rows = survey_rows({"type": "select_one nowhere", "name": "q", KK: "С", RU: "В"})
    assert_rejected(make_form(rows, YESNO, SETTINGS), "nowhere")


def test_a_label_missing_in_one_language_is_named_with_its_row(make_form):
    rows = survey_rows({"type": "text", "name": "comment", KK: "Пікір", RU: ""})
    assert_rejected(make_form(rows, YESNO, SETTINGS), "row 5 (comment)", "Russian (ru)")


def test_a_choice_missing_a_translation_is_an_error(make_form):
    choices = [*YESNO, {"list_name": "yesno", "name": "3", KK: "Білмеймін", RU: ""}]
    assert_rejected(make_form(survey_rows(), choices, SETTINGS), "choice '3'", "Russian (ru)")


def test_an_expression_that_does_not_parse_is_rejected_with_row_and_reason(make_form):
    rows = survey_rows(
        {"type": "text", "name": "why", KK: "Неге", RU: "Почему", "relevant": "${visited} = = '1'"}
    )
    assert_rejected(make_form(rows, YESNO, SETTINGS), "row 5 (why)", "relevant", "unexpected")


def test_skip_logic_on_a_later_question_is_rejected(make_form):
    rows = survey_rows()
    rows[1] = {**rows[1], "relevant": "${visited} = '1'"}
    assert_rejected(make_form(rows, YESNO, SETTINGS), "row 3 (age)", "${visited}")


def test_a_python_payload_in_a_constraint_is_rejected(make_form):
    rows = survey_rows(
        {
            "type": "text",
            "name": "x",
            KK: "X",
            RU: "X",
            "constraint": "__import__('os').system('touch /tmp/pwned')",
        }
    )
    assert_rejected(make_form(rows, YESNO, SETTINGS), "row 5 (x)", "constraint")


def test_a_file_that_is_not_a_spreadsheet_gets_one_line_of_error(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook at all")
    text = assert_rejected(path, "form.xlsx")
    assert "Traceback" not in text
    assert len(text.splitlines()) == 2  # the summary line and the one reason


def test_a_missing_file_is_reported(tmp_path):
    assert_rejected(tmp_path / "nope.xlsx", "no such file")


def test_a_live_survey_is_not_changed_by_a_reimport(make_form):
    survey = survey_import_xlsform(make_form(survey_rows(), YESNO, SETTINGS), "kz").survey
    go_live(survey)
    rows = survey_rows({"type": "text", "name": "comment", KK: "Пікір", RU: "Комментарий"})
    assert_rejected(make_form(rows, YESNO, SETTINGS, name="v2.csv"), "is live")


def test_a_survey_with_missing_translations_cannot_go_live(make_form):
    survey = survey_import_xlsform(make_form(survey_rows(), YESNO, SETTINGS), "kz").survey
    Question.objects.filter(variable="age").update(hint={"kk": "Толық жыл"})
    with pytest.raises(SurveyError, match="ru"):
        survey_set_status(survey, Survey.Status.LIVE)
    assert Survey.objects.get().status == Survey.Status.DRAFT


@pytest.mark.parametrize(
    ("form", "variables"),
    [
        ("text_and_integer.xlsx", ["your_name", "your_age"]),
        ("yes_or_no_question.xlsx", ["good_day"]),
        ("specify_other.xlsx", ["sex", "sex_other"]),
        # A phone number is a text.
        ("group.xlsx", ["family_name", "phone_number", "age"]),
        # Cascading selects (issue 16).
        ("choice_filter_test.xlsx", ["state", "county", "city"]),
    ],
)
def test_real_forms_written_by_others_import(form, variables):
    survey = survey_import_xlsform(SHARED_FORMS / form, "shared").survey
    assert list(survey.questions.values_list("variable", flat=True)) == variables
    assert survey.languages == ["en"]


def test_the_specify_other_text_shows_only_after_other():
    survey_import_xlsform(SHARED_FORMS / "specify_other.xlsx", "shared")
    assert Question.objects.get(variable="sex_other").relevant == "selected(../sex, 'other')"


@pytest.mark.parametrize(
    ("form", "skipped", "kept"),
    [
        (
            "widgets.xls",
            ["my_geopoint", "my_image", "happy_sad_table"],
            ["my_int", "table_list_test2"],
        ),
    ],
)
def test_real_forms_with_unsupported_parts_fail_clearly_or_import_the_rest(
    form, skipped, kept, capsys
):
    text = assert_rejected(SHARED_FORMS / form, *skipped, slug="shared")
    assert "not supported" in text
    run_import(SHARED_FORMS / form, slug="shared", skip_unsupported=True)
    out = capsys.readouterr().out
    variables = set(Question.objects.values_list("variable", flat=True))
    for name in skipped:
        assert name in out
        assert name not in variables
    assert set(kept) <= variables


def test_the_widgets_table_list_becomes_a_grid():
    survey_import_xlsform(SHARED_FORMS / "widgets.xls", "widgets", skip_unsupported=True)
    grid = Question.objects.get(variable="table_list_test2")
    assert grid.type == Question.Type.GRID
    assert [row.variable for row in grid.rows.all()] == ["table_list_3", "table_list_4"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({**SETTINGS, "sample_target": "nan"}, "sample_target 'nan'"),
        ({**SETTINGS, "sample_target": "Infinity"}, "sample_target 'Infinity'"),
        ({**SETTINGS, "sample_target": "1e30"}, "sample_target '1e30'"),
        ({**SETTINGS, "version": "v" * 60}, "version is longer than 50"),
        ({**SETTINGS, "fieldwork_start": "2024-13-01"}, "fieldwork_start '2024-13-01'"),
    ],
)
def test_bad_settings_are_reported_not_crashed_on(make_form, settings, message):
    assert_rejected(make_form(survey_rows(), YESNO, settings), message)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"type": "text", "name": "x" * 120, KK: "А", RU: "Б"}, "the variable name must be"),
        ({"type": "integer", "name": "n", KK: "А", RU: "Б", "min_value": "1e30"}, "below 10^14"),
        (
            {"type": "decimal", "name": "n", KK: "А", RU: "Б", "min_value": "0.0000001"},
            "6 decimals",
        ),
        ({"type": "text", "name": "t", KK: "А\x0bБ", RU: "Б"}, "control character"),
        (
            {"type": "text", "name": "t", KK: "А", RU: "Б", "required": "${age} > 3"},
            "required '${age} > 3'",
        ),
    ],
)
def test_values_the_database_cannot_hold_are_refused_with_their_row(make_form, extra, message):
    assert_rejected(make_form(survey_rows(extra), YESNO, SETTINGS), "row 5", message)


def test_a_bad_slug_is_refused(make_form):
    assert_rejected(make_form(survey_rows(), YESNO, SETTINGS), "not a valid slug", slug="bad slug!")


def test_a_grid_with_some_rows_required_is_refused(make_form):
    grid = [
        {"type": "begin group", "name": "g", KK: "Т", RU: "Т", "appearance": "table-list"},
        {"type": "select_one yesno", "name": "g1", KK: "А", RU: "А", "required": "yes"},
        {"type": "select_one yesno", "name": "g2", KK: "Б", RU: "Б"},
        {"type": "end group"},
    ]
    assert_rejected(make_form(survey_rows(*grid), YESNO, SETTINGS), "all required or none")


def test_a_grid_keeps_its_hint(make_form):
    grid = [
        {
            "type": "begin group",
            "name": "g",
            KK: "Т",
            RU: "Т",
            "appearance": "table-list",
            "hint::Kazakh (kk)": "Әр жолға",
            "hint::Russian (ru)": "По строке",
        },
        {"type": "select_one yesno", "name": "g1", KK: "А", RU: "А"},
        {"type": "end group"},
    ]
    survey_import_xlsform(make_form(survey_rows(*grid), YESNO, SETTINGS), "kz")
    assert Question.objects.get(variable="g").hint == {"kk": "Әр жолға", "ru": "По строке"}


def test_a_page_shown_on_a_skipped_question_is_skipped_with_its_questions(make_form, capsys):
    rows = [
        {"type": "begin group", "name": "p1", KK: "Б", RU: "С"},
        {"type": "text", "name": "name", KK: "Аты", RU: "Имя"},
        {"type": "geopoint", "name": "where", KK: "Қайда", RU: "Где"},
        {"type": "end group"},
        {"type": "begin group", "name": "p2", KK: "Б", RU: "С", "relevant": "${where} != ''"},
        {"type": "text", "name": "why", KK: "Неге", RU: "Почему"},
        {"type": "end group"},
    ]
    run_import(make_form(rows, YESNO, SETTINGS), skip_unsupported=True)
    assert "row 6 (p2)" in capsys.readouterr().out
    assert list(Question.objects.values_list("variable", flat=True)) == ["name"]


def test_skipping_everything_is_an_error_not_an_empty_survey(make_form):
    rows = [{"type": "geopoint", "name": "where", KK: "Қайда", RU: "Где"}]
    assert_rejected(
        make_form(rows, YESNO, SETTINGS),
        "no questions this system can import",
        skip_unsupported=True,
    )


def test_a_plain_title_is_kept_in_the_default_language_until_translated(make_form, capsys):
    run_import(make_form(survey_rows(), YESNO, {"form_title": "Сауалнама"}))
    assert "form_title is in Kazakh (kk) only" in capsys.readouterr().out
    survey = Survey.objects.get()
    assert survey.title == {"kk": "Сауалнама"}
    with pytest.raises(SurveyError, match=r"has no text in Russian \(ru\)"):
        survey_set_status(survey, Survey.Status.LIVE)


def test_columns_the_system_does_not_use_are_named(make_form, capsys):
    rows = survey_rows({"type": "text", "name": "t", KK: "А", RU: "Б", "default": "x"})
    run_import(make_form(rows, YESNO, SETTINGS))
    assert "the column 'default' is not used by this system (rows 5)" in capsys.readouterr().out
