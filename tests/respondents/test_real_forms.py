"""Every real form in tests/data/xlsforms (written by others) imports, with
--skip-unsupported at most, a respondent completes it on the web, and its data exports."""

import csv
import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.exports import export_build
from respondents.models import Submission
from surveys.expressions import Evaluator, parse
from surveys.models import Survey
from surveys.questionnaire import Type, questionnaire_of
from tests.conftest import SHARED_FORMS, go_live
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db
FORMS = sorted(path.name for path in SHARED_FORMS.iterdir() if path.suffix in (".xlsx", ".xls"))
# What each form leaves out under --skip-unsupported: media, locations, barcodes, an
# acknowledgement, and a table of multiple choices shown only as images.
LEFT_OUT = {
    "widgets.xls": {
        "my_trigger",
        "my_geopoint",
        "my_barcode",
        "my_image",
        "my_audio",
        "my_video",
        "locationMap",
        "happy_sad_table",
        "happy_sad_second_method",
        "happy_sad_brian2",
        "happy_sad_michael2",
        "my_output",
    },
}


def an_answer(question, answers):
    """A valid answer: the first choice offered, a number and a date its constraint takes."""
    if question.choices:
        evaluator = Evaluator(answers)
        offered = [
            choice.value
            for choice in question.choices
            if not question.choice_filter
            or evaluator.passes(parse(question.choice_filter), choice.filters, choice.value)
        ]
        return [offered[0]] if question.type == Type.MULTIPLE else offered[0]
    return {
        Type.INTEGER: "7",
        Type.DECIMAL: "12.5",
        Type.DATE: (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        Type.TIME: "08:15",
        Type.DATETIME: "2024-06-12T18:00",
    }.get(question.type, "An answer")


def complete(survey) -> tuple[Submission, dict]:
    questionnaire = questionnaire_of(survey)
    person = Respondent_(invite(survey, "real-1"))
    response = person.start("en")
    given: dict = {}
    for _ in range(len(questionnaire.pages) + 1):
        page_name = person.current_page(response)
        if page_name is None:
            break
        data: dict = {"next": "1"}
        for question in questionnaire.page(page_name).questions:
            if question.server_filled or question.type == Type.NOTE:
                continue
            if not Evaluator(given).holds(question.relevant):
                continue
            for name in question.answer_names:
                value = an_answer(question, given)
                given[name] = data[name] = value
        response = person.client.post(f"/s/{person.token}/p/{page_name}/", data, follow=True)
        assert person.current_page(response) != page_name, response.content.decode()[:3000]
    return person.submission, given


@pytest.mark.parametrize("form", FORMS)
def test_a_real_form_imports_is_completed_and_exports(form, tmp_path, capsys):
    call_command("import_xlsform", str(SHARED_FORMS / form), slug="real", skip_unsupported=True)
    out = capsys.readouterr().out
    survey = Survey.objects.get(slug="real")
    variables = set(survey.questions.values_list("variable", flat=True))
    for name in LEFT_OUT.get(form, ()):
        assert name in out and name not in variables, name
    go_live(survey)
    submission, given = complete(survey)
    assert submission.status == Submission.Status.COMPLETED
    path = tmp_path / "data.csv"
    assert export_build(survey, "csv", path, valid_only=False, labels=True) == 1
    with path.open(newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    questionnaire = questionnaire_of(survey)
    for name, value in given.items():
        question = questionnaire.question_of(name)
        if question.type == Type.MULTIPLE:
            assert row[f"{name}_{value[0]}"] == "1"
        elif question.choices:
            label = next(c.label["en"] for c in question.choices if c.value == value)
            assert row[name] == label, name
        elif question.type in (Type.TIME, Type.DATETIME):
            assert row[name] == f"{value}:00"
        elif question.type in (Type.INTEGER, Type.DECIMAL):
            assert float(row[name]) == float(value)
        else:
            assert row[name] == value, name


def test_the_cascade_offers_only_the_cities_of_the_county(tmp_path):
    call_command("import_xlsform", str(SHARED_FORMS / "choice_filter_test.xlsx"), slug="cf")
    survey = go_live(Survey.objects.get(slug="cf"))
    person = Respondent_(invite(survey, "cf-1"))
    response = person.start("en")
    page = person.current_page(response)
    refused = person.client.post(
        f"/s/{person.token}/p/{page}/",
        {"state": "texas", "county": "pierce", "city": "tacoma", "next": "1"},
        follow=True,
    )
    assert "This choice is not offered given the answers before it." in refused.content.decode()
    assert person.submission.answers == {}  # Pierce is in Washington: nothing stored
    done = person.client.post(
        f"/s/{person.token}/p/{page}/",
        # King is listed under Washington and Texas: one choice, offered for both.
        {"state": "texas", "county": "king", "city": "dumont", "next": "1"},
        follow=True,
    )
    assert done.status_code == 200
    assert person.submission.status == Submission.Status.COMPLETED
