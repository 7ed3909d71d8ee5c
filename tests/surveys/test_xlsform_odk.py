"""export_xlsform writes forms ODK's tools accept, that enforce what the survey enforces."""

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from surveys.demo import DEMO_DIR
from surveys.expressions import Evaluator
from surveys.models import Question, Survey
from surveys.selectors import survey_definition
from surveys.services import survey_import_xlsform
from tests.conftest import SHARED_FORMS, need_service

pytestmark = pytest.mark.django_db
XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"
EN = "label::English (en)"
FORMS = [
    DEMO_DIR / "kazakhstan.csv",
    DEMO_DIR / "china.csv",
    *sorted(SHARED_FORMS.glob("*.xls*")),
]


def export(slug, path):
    call_command("export_xlsform", slug, str(path))
    return path


def xform_of(path) -> tuple[ET.Element, list[str]]:
    result = convert(xlsform=str(path), validate=False)
    return ET.fromstring(result.xform), result.warnings


def bind(xform: ET.Element, name: str) -> ET.Element:
    (found,) = [b for b in xform.iter(f"{XF}bind") if b.get("nodeset").endswith(f"/{name}")]
    return found


def itext(xform: ET.Element, text_id: str) -> dict[str, str]:
    """The text of one itext id in each translation: {'Kazakh (kk)': '...'}."""
    texts = {}
    for translation in xform.iter(f"{XF}translation"):
        for text in translation.iter(f"{XF}text"):
            if text.get("id") == text_id:
                texts[translation.get("lang")] = "".join(text.find(f"{XF}value").itertext())
    return texts


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("source", FORMS, ids=lambda path: path.name)
def test_pyxform_converts_every_exported_form(source, suffix, tmp_path):
    survey_import_xlsform(source, "form", skip_unsupported=True)
    xform, warnings = xform_of(export("form", tmp_path / f"form{suffix}"))
    assert not [w for w in warnings if "language" in w.lower()], warnings
    names = {b.get("nodeset").rsplit("/", 1)[1] for b in xform.iter(f"{XF}bind")}
    asked = Question.objects.exclude(type=Question.Type.GRID).values_list("variable", flat=True)
    assert set(asked) <= names


def test_the_xform_refuses_an_age_the_survey_refuses(tmp_path):
    survey_import_xlsform(DEMO_DIR / "kazakhstan.csv", "kz")
    xform, _ = xform_of(export("kz", tmp_path / "kz.xlsx"))
    age = bind(xform, "age")
    constraint = age.get("constraint")
    # The XForm's own condition, read as XPath: an age of 5 is refused, 34 taken.
    check = Evaluator({})
    assert not check.holds(constraint, current=5)
    assert not check.holds(constraint, current=71)
    assert check.holds(constraint, current=34)
    messages = itext(xform, age.get(f"{JR}constraintMsg").split("'")[1])
    assert set(messages) == {"Kazakh (kk)", "Russian (ru)"}
    assert "18" in messages["Russian (ru)"] or "0" in messages["Russian (ru)"]
    assert all(messages.values())


def test_choice_counts_and_ranges_become_constraints_with_messages(make_form, tmp_path):
    rows = [
        {"type": "begin group", "name": "p", EN: "P", "label::Russian (ru)": "П"},
        {
            "type": "select_multiple fruit",
            "name": "fruit",
            "label::English (en)": "Fruit",
            "label::Russian (ru)": "Фрукты",
            "min_choices": "1",
            "max_choices": "2",
        },
        {
            "type": "decimal",
            "name": "score",
            "label::English (en)": "Score",
            "label::Russian (ru)": "Оценка",
            "min_value": "0.5",
            "max_value": "10",
            "constraint": ". != 7",
            "constraint_message::English (en)": "Not seven.",
            "constraint_message::Russian (ru)": "Не семь.",
        },
        {"type": "end group"},
    ]
    choices = [
        {"list_name": "fruit", "name": n, "label::English (en)": n, "label::Russian (ru)": n}
        for n in ("apple", "pear", "plum")
    ]
    survey_import_xlsform(make_form(rows, choices, {"form_title": "Fruit"}), "fruit")
    xform, _ = xform_of(export("fruit", tmp_path / "fruit.xlsx"))
    check = Evaluator({})
    fruit = bind(xform, "fruit").get("constraint")
    assert not check.holds(fruit, current=[])
    assert check.holds(fruit, current=["apple", "pear"])
    assert not check.holds(fruit, current=["apple", "pear", "plum"])
    score = bind(xform, "score")
    assert score.get("constraint") == "(. != 7) and (. >= 0.5) and (. <= 10)"
    messages = itext(xform, "/data/p/score:jr:constraintMsg")
    assert messages["English (en)"] == (
        "Not seven. Ensure this value is greater than or equal to 0.5. "
        "Ensure this value is less than or equal to 10."
    )
    assert messages["Russian (ru)"].startswith("Не семь. Убедитесь, что это значение больше")
    # and our own columns come back as they were
    survey_import_xlsform(tmp_path / "fruit.xlsx", "fruit-copy")
    copy = Survey.objects.get(slug="fruit-copy").questions.get(variable="score")
    assert copy.constraint == ". != 7"
    assert copy.constraint_message == {"en": "Not seven.", "ru": "Не семь."}


def test_languages_are_named_as_odk_validates_them_and_read_back(tmp_path):
    original = survey_import_xlsform(DEMO_DIR / "china.csv", "cn").survey
    path = export("cn", tmp_path / "cn.xlsx")
    header = [cell.value for cell in next(load_workbook(path)["survey"].iter_rows(max_row=1))]
    assert "label::Simplified Chinese (zh)" in header
    assert "label::English (en)" in header
    settings = load_workbook(path)["settings"]
    names = [cell.value for cell in next(settings.iter_rows(max_row=1))]
    assert "form_title" in names and "survey_title::Simplified Chinese (zh)" in names
    copy = survey_import_xlsform(path, "cn-copy").survey
    assert copy.languages == original.languages == ["zh-hans", "en"]
    assert copy.title == original.title


QUOTES = "“Ясно” — ‘ясно’, «ясно»"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("source", [*FORMS, "quotes"], ids=str)
def test_export_import_export_gives_the_same_file(source, suffix, make_form, tmp_path):
    if source == "quotes":
        rows = [
            {"type": "select_one yn", "name": "q", "label": f"Is it {QUOTES}?", "hint": QUOTES},
            {"type": "integer", "name": "n", "label": "N", "min_value": "1", "screening": ". < 9"},
        ]
        choices = [{"list_name": "yn", "name": "y", "label": QUOTES}]
        source = make_form(rows, choices, {"form_title": QUOTES, "consent": QUOTES})
    survey_import_xlsform(source, "first", skip_unsupported=True)
    first = export("first", tmp_path / f"first{suffix}")
    survey_import_xlsform(first, "second")
    second = export("second", tmp_path / f"second{suffix}")
    if suffix == ".csv":
        assert first.read_bytes() == second.read_bytes()
    else:
        assert _cells(first) == _cells(second)
    assert survey_definition(Survey.objects.get(slug="second")) == survey_definition(
        Survey.objects.get(slug="first")
    )


def test_typographic_quotes_survive_import_and_export(make_form, tmp_path):
    rows = [{"type": "text", "name": "q", "label": QUOTES}]
    survey = survey_import_xlsform(make_form(rows, (), {"form_title": QUOTES}), "q").survey
    assert survey.questions.get().label == {"en": QUOTES}
    assert survey.title == {"en": QUOTES}
    survey_import_xlsform(export("q", tmp_path / "q.csv"), "q-copy")
    assert Survey.objects.get(slug="q-copy").questions.get().label == {"en": QUOTES}


def _cells(path) -> dict[str, list[tuple]]:
    book = load_workbook(path)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


ENGINE = Path(__file__).with_name("odk_engine.mjs")
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


def odk_engine_says(xform: Path, answers: list[tuple[str, object]], tmp_path) -> list:
    if not shutil.which("node"):
        need_service("node", "Node.js runs ODK's form engine (apt-get install nodejs)")
    if not (NODE_MODULES / "@getodk" / "xforms-engine").is_dir():
        need_service("@getodk/xforms-engine", "missing from node_modules (make test runs npm ci)")
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    run = subprocess.run(
        ["node", str(ENGINE), str(xform), str(answers_file)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=NODE_MODULES.parent,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_odks_own_engine_refuses_what_the_survey_refuses(make_form, tmp_path):
    """The exported form, converted by pyxform and run by ODK's engine: an age of 5, a
    phone number without its +7, three fruit where two at most are allowed are refused."""
    survey_import_xlsform(DEMO_DIR / "kazakhstan.csv", "kz")
    call_command("export_xlsform", "kz", str(tmp_path / "kz.xlsx"))
    xml = tmp_path / "kz.xml"
    xml.write_text(convert(xlsform=str(tmp_path / "kz.xlsx"), validate=False).xform)
    said = odk_engine_says(xml, [("age", 5), ("age", 34), ("age", 71)], tmp_path)
    assert said[1] is None
    assert said[0] and said[0] == said[2]
    assert "0" in said[0] and "120" in said[0]  # the message, in the form's first language

    rows = [
        {"type": "begin group", "name": "p", EN: "P"},
        {"type": "text", "name": "phone", EN: "Phone", "constraint": r"regex(., '^\+7\d{10}$')"},
        {"type": "select_multiple fruit", "name": "fruit", EN: "Fruit", "max_choices": "2"},
        {"type": "end group"},
    ]
    choices = [{"list_name": "fruit", "name": n, EN: n} for n in ("apple", "pear", "plum")]
    survey_import_xlsform(make_form(rows, choices, {"form_title": "T"}), "odk")
    call_command("export_xlsform", "odk", str(tmp_path / "odk.xlsx"))
    xml = tmp_path / "odk.xml"
    xml.write_text(convert(xlsform=str(tmp_path / "odk.xlsx"), validate=False).xform)
    said = odk_engine_says(
        xml,
        [
            ("phone", "87011234567"),
            ("phone", "+77011234567"),
            ("fruit", ["apple", "pear", "plum"]),
            ("fruit", ["apple", "pear"]),
        ],
        tmp_path,
    )
    assert said[0] is not None and said[1] is None
    assert said[2] == "Please choose at most 2." and said[3] is None


@pytest.mark.parametrize("source", [DEMO_DIR / "kazakhstan.csv", DEMO_DIR / "china.csv", "regex"])
def test_odk_validate_accepts_the_exported_form(source, make_form, tmp_path):
    """ODK Validate (JavaRosa, the engine of ODK Collect; shipped with pyxform) reads the
    XForm made from an exported form, expressions and regex() patterns included."""
    if not shutil.which("java"):
        need_service("Java", "ODK Validate runs on Java (apt-get install default-jre-headless)")
    if source == "regex":
        rows = [
            {"type": "text", "name": "id", EN: "Id", "constraint": r"regex(., '^[A-Z]{2}\d+$')"}
        ]
        source = make_form(rows, (), {"form_title": "Ids"})
    survey_import_xlsform(source, "form")
    result = convert(xlsform=str(export("form", tmp_path / "form.xlsx")), validate=True)
    assert result.warnings == []
