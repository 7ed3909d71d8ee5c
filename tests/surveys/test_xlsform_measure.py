import pytest

from surveys.errors import SurveyError
from surveys.selectors import survey_definition
from surveys.services import survey_import_xlsform
from surveys.xlsform.reader import read_xlsform
from surveys.xlsform.writer import write_xlsform
from tests.surveys.test_xlsform_import import KK, RU, SETTINGS, YESNO, survey_rows

pytestmark = pytest.mark.django_db

SCALE = [
    {"list_name": "agree", "name": str(code), KK: f"k{code}", RU: f"r{code}"}
    for code in range(1, 5)
]


def likert(measure="ordinal", name="trust"):
    return {
        "type": "select_one agree",
        "name": name,
        KK: "Сенесіз бе?",
        RU: "Доверяете?",
        "measure": measure,
    }


def grid(measure):
    return [
        {"type": "begin group", "name": "g", KK: "Тор", RU: "Сетка", "appearance": "table-list"}
        | ({"measure": measure} if measure else {}),
        {"type": "select_one agree", "name": "g_a", KK: "А", RU: "А"},
        {"type": "select_one agree", "name": "g_b", KK: "Б", RU: "Б"},
        {"type": "end group"},
    ]


def test_a_declared_measure_is_kept_and_an_undeclared_one_left_empty(make_form):
    path = make_form(survey_rows(likert(), *grid("ordinal")), YESNO + SCALE, SETTINGS)
    survey = survey_import_xlsform(path, "kz").survey
    measures = dict(survey.questions.values_list("variable", "measure"))
    assert measures == {"age": "", "visited": "", "trust": "ordinal", "g": "ordinal"}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (likert("scale"), "measure 'scale' does not fit a single question"),
        (likert("interval"), "measure 'interval' does not fit a single question"),
        (
            {"type": "text", "name": "why", KK: "Неге?", RU: "Почему?", "measure": "nominal"},
            "measure 'nominal' does not fit a text question",
        ),
    ],
)
def test_a_measure_that_does_not_fit_the_type_is_refused(make_form, row, message):
    path = make_form(survey_rows(row), YESNO + SCALE, SETTINGS)
    with pytest.raises(SurveyError) as raised:
        survey_import_xlsform(path, "kz")
    assert any(message in error for error in raised.value.errors)


def test_the_measure_survives_export_and_import_again(make_form, tmp_path):
    path = make_form(survey_rows(likert(), *grid("ordinal")), YESNO + SCALE, SETTINGS)
    survey = survey_import_xlsform(path, "kz").survey
    out = tmp_path / "again.xlsx"
    write_xlsform(survey_definition(survey), out)
    questions = {
        q.variable: q.measure for page in read_xlsform(out).definition.pages for q in page.questions
    }
    assert questions["trust"] == "ordinal" and questions["g"] == "ordinal"
