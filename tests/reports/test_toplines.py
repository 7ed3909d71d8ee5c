"""Toplines and crosstabs on a small hand-made survey whose numbers are counted by hand."""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from fieldwork.errors import Refused
from reports.access import FIELD_MANAGERS
from reports.crosstabs import crosstab
from reports.models import Assignment
from reports.toplines import margin_of_error, toplines
from respondents.models import Respondent, Submission, Verdict
from respondents.tokens import new_token
from surveys.models import Choice, Survey
from surveys.services import survey_import_xlsform, survey_set_status

pytestmark = pytest.mark.django_db

KK, RU = "label::Kazakh (kk)", "label::Russian (ru)"
ROWS = [
    {"type": "begin group", "name": "p1", KK: "Бет", RU: "Страница"},
    {"type": "integer", "name": "age", KK: "Жасыңыз?", RU: "Ваш возраст?"},
    {"type": "select_one gender", "name": "gender", KK: "Жынысыңыз", RU: "Ваш пол"},
    {"type": "select_one region", "name": "region", KK: "Өңіріңіз", RU: "Ваш регион"},
    {"type": "select_one yn", "name": "like", KK: "Ұнай ма?", RU: "Нравится ли?"},
    {
        "type": "select_one yn",
        "name": "why",
        KK: "Себебі бар ма?",
        RU: "Есть ли причина?",
        "relevant": "${like} = 'yes'",
    },
    {"type": "select_multiple colour", "name": "colours", KK: "Түстер", RU: "Цвета"},
    {"type": "end group"},
    {"type": "begin group", "name": "g", KK: "Баға", RU: "Оценки", "appearance": "table-list"},
    {"type": "select_one yn", "name": "tea", KK: "Шай", RU: "Чай"},
    {"type": "select_one yn", "name": "coffee", KK: "Кофе", RU: "Кофе"},
    {"type": "end group"},
]
CHOICES = [
    {"list_name": "gender", "name": "male", KK: "Ер", RU: "Мужской"},
    {"list_name": "gender", "name": "female", KK: "Әйел", RU: "Женский"},
    {"list_name": "region", "name": "north", KK: "Солтүстік", RU: "Север"},
    {"list_name": "region", "name": "south", KK: "Оңтүстік", RU: "Юг"},
    {"list_name": "yn", "name": "yes", KK: "Иә", RU: "Да"},
    {"list_name": "yn", "name": "no", KK: "Жоқ", RU: "Нет"},
    {"list_name": "colour", "name": "red", KK: "Қызыл", RU: "Красный"},
    {"list_name": "colour", "name": "blue", KK: "Көк", RU: "Синий"},
    {"list_name": "colour", "name": "green", KK: "Жасыл", RU: "Зелёный"},
]
SETTINGS = {"form_title::Kazakh (kk)": "Сынақ", "form_title::Russian (ru)": "Проба"}
# gender, region, like, why, colours, age, tea, coffee
PEOPLE = [
    ("male", "north", "yes", "yes", ["red"], 20, "yes", "yes"),
    ("male", "north", "yes", "no", ["red", "blue"], 30, "yes", "no"),
    ("male", "north", "no", None, ["blue"], 40, "no", "no"),
    ("male", "south", "yes", "yes", [], 50, "yes", "yes"),
    ("female", "north", "yes", "yes", ["green"], 25, "no", "yes"),
    ("female", "south", "yes", "no", ["red", "green"], 35, "yes", "no"),
    ("female", "south", "no", None, ["red"], 45, "no", "no"),
    ("female", "south", "no", None, ["blue", "green"], 55, "yes", "yes"),
    ("female", "south", "yes", "yes", ["red"], 65, "yes", "no"),
    ("female", "north", "no", None, ["red"], 60, "no", "yes"),
]


def person(survey, number, verdict=Verdict.VALID, **answers) -> Submission:
    respondent = Respondent.objects.create(
        survey=survey, token=new_token(), panel_id=f"hand-{number}"
    )
    return Submission.objects.create(
        respondent=respondent,
        survey=survey,
        language="ru",
        status=Submission.Status.COMPLETED,
        verdict=verdict,
        answers={k: v for k, v in answers.items() if v not in (None, [])},
    )


def hand_survey(make_form) -> Survey:
    """Return the live survey "hand" with PEOPLE as valid submissions, and two others."""
    imported = survey_import_xlsform(make_form(ROWS, CHOICES, SETTINGS), "hand").survey
    survey = survey_set_status(imported, Survey.Status.LIVE)
    for number, (gender, region, like, why, colours, age, tea, coffee) in enumerate(PEOPLE):
        person(
            survey,
            number,
            gender=gender,
            region=region,
            like=like,
            why=why,
            colours=colours,
            age=age,
            tea=tea,
            coffee=coffee,
        )
    # Neither an invalid nor a pending questionnaire counts.
    person(survey, 98, Verdict.INVALID, gender="male", region="north", like="no", age=33)
    person(survey, 99, Verdict.PENDING, gender="male", region="north", like="no", age=33)
    return survey


@pytest.fixture
def survey(make_form) -> Survey:
    return hand_survey(make_form)


def table(report, variable):
    return next(t for t in report.tables if t.item.variable == variable)


def shares(topline):
    return {row.value: (row.count, round(row.percent, 1)) for row in topline.rows}


def test_a_single_choice_counts_valid_respondents_with_the_margin_of_error(survey):
    like = table(toplines(survey, "ru"), "like")
    assert like.base == 10 and like.not_answered == 0
    assert shares(like) == {"yes": (6, 60.0), "no": (4, 40.0)}
    yes = like.rows[0]
    assert yes.label == "Да"
    assert yes.margin == pytest.approx(1.96 * (0.6 * 0.4 / 10) ** 0.5)
    assert yes.margin == pytest.approx(0.3036, abs=1e-4)


def test_a_follow_up_is_counted_among_those_who_answered_it(survey):
    why = table(toplines(survey), "why")
    assert why.base == 6 and why.not_answered == 4
    assert shares(why) == {"yes": (4, 66.7), "no": (2, 33.3)}


def test_a_multiple_choice_counts_each_option_among_those_who_answered(survey):
    colours = table(toplines(survey), "colours")
    assert colours.base == 9  # one person ticked nothing
    assert shares(colours) == {"red": (6, 66.7), "blue": (3, 33.3), "green": (3, 33.3)}


def test_each_grid_row_is_its_own_topline(survey):
    report = toplines(survey, "kk")
    tea, coffee = table(report, "tea"), table(report, "coffee")
    assert shares(tea) == {"yes": (6, 60.0), "no": (4, 40.0)}
    assert shares(coffee) == {"yes": (5, 50.0), "no": (5, 50.0)}
    assert tea.item.label == "Баға — Шай"


def test_a_number_question_has_its_summary(survey):
    age = table(toplines(survey), "age")
    assert age.base == 10
    assert age.summary.mean == pytest.approx(42.5)
    assert (age.summary.minimum, age.summary.maximum) == (20, 65)
    assert age.summary.median == 42.5  # between 40 and 45


def test_weighted_toplines_use_the_weights_and_the_effective_base(survey):
    # Men weigh 2, women 1: "like" yes = (3*2 + 3*1) / (4*2 + 6*1) = 9/14.
    for submission in Submission.objects.filter(survey=survey, verdict=Verdict.VALID):
        submission.weight = 2.0 if submission.answers["gender"] == "male" else 1.0
        submission.save(update_fields=["weight"])
    like = table(toplines(survey, weighted=True), "like")
    yes = like.rows[0]
    assert yes.share == pytest.approx(9 / 14)
    assert yes.count == 6 and yes.weighted == pytest.approx(9.0)
    n_eff = 14**2 / (4 * 4 + 6 * 1)
    assert like.effective_base == pytest.approx(n_eff)
    assert yes.margin == pytest.approx(margin_of_error(9 / 14, n_eff))
    assert table(toplines(survey), "like").rows[0].share == pytest.approx(0.6)


def test_a_crosstab_gives_column_percentages_with_bases(survey):
    result = crosstab(survey, "like", "gender", "ru")
    assert [c.label for c in result.columns] == ["Мужской", "Женский", "Total"]
    assert [c.base for c in result.columns] == [4, 6, 10]
    yes = result.rows[0]
    assert [round(100 * v, 1) for v in yes.cells] == [75.0, 50.0, 60.0]
    colours = crosstab(survey, "colours", "region")
    red = next(r for r in colours.rows if r.value == "red")
    north = [p for p in PEOPLE if p[1] == "north" and p[4]]
    south = [p for p in PEOPLE if p[1] == "south" and p[4]]
    assert [c.base for c in colours.columns] == [len(north), len(south), 9]
    assert red.cells[0] == pytest.approx(sum("red" in p[4] for p in north) / len(north))
    assert red.cells[1] == pytest.approx(sum("red" in p[4] for p in south) / len(south))


def test_a_weighted_crosstab_differs_from_the_unweighted_one(survey):
    for submission in Submission.objects.filter(survey=survey, verdict=Verdict.VALID):
        submission.weight = 3.0 if submission.answers["region"] == "north" else 1.0
        submission.save(update_fields=["weight"])
    weighted = crosstab(survey, "like", "gender", weighted=True)
    # men: north yes, yes, no (w 3 each), south yes (w 1): yes = 7/10
    assert weighted.rows[0].cells[0] == pytest.approx(7 / 10)
    assert weighted.columns[0].weighted_base == pytest.approx(10)
    assert crosstab(survey, "like", "gender").rows[0].cells[0] == pytest.approx(0.75)


def test_a_crosstab_by_a_multiple_choice_column_is_refused(survey):
    with pytest.raises(Refused, match="'colours' is not a single-choice question"):
        crosstab(survey, "like", "colours")


def login(*surveys) -> Client:
    user = User.objects.create_user(f"u{User.objects.count()}", password="pw-123456")
    user.groups.add(Group.objects.get(name=FIELD_MANAGERS))
    for survey in surveys:
        Assignment.objects.create(user=user, survey=survey)
    client = Client()
    client.force_login(user)
    return client


def test_the_toplines_page_in_russian_and_kazakh(survey):
    client = login(survey)
    ru = client.get("/manage/hand/toplines/?lang=ru", HTTP_ACCEPT_LANGUAGE="ru")
    page = ru.content.decode()
    assert ru.status_code == 200
    assert "Нравится ли?" in page and "Мужской" in page and "<svg" in page
    assert "<script>" not in page and 'style="' not in page and "onclick" not in page
    kk = client.get("/manage/hand/toplines/?lang=kk", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "Ұнай ма?" in kk and "Нравится ли?" not in kk


def test_the_survey_dashboard_links_to_the_analysis_pages(survey):
    page = login(survey).get("/manage/hand/").content.decode()
    for name in ("toplines", "crosstab", "published"):
        assert f'href="/manage/hand/{name}/"' in page


def test_the_weighted_switch_appears_only_with_weights(survey):
    client = login(survey)
    page = client.get("/manage/hand/toplines/").content.decode()
    assert 'name="weighted"' not in page and "has not been weighted" in page


def test_the_crosstab_and_published_pages_render(survey):
    client = login(survey)
    page = client.get("/manage/hand/crosstab/?row=like&col=gender&lang=kk").content.decode()
    assert "Ұнай ма?" in page and "Әйел" in page
    assert "75,0" in page or "75.0" in page
    bad = client.get("/manage/hand/crosstab/?row=like&col=colours").content.decode()
    assert "is not a single-choice question" in bad
    published = client.get("/manage/hand/published/")
    assert published.status_code == 200
    assert "No published figures are known" in published.content.decode()


def test_the_toplines_download_as_csv_and_xlsx_with_formulas_neutralised(survey):
    Choice.objects.filter(value="green").update(label={"ru": "=1+1", "kk": "=1+1"})
    client = login(survey)
    response = client.get("/manage/hand/toplines/download/?format=csv&lang=ru")
    assert response["Content-Disposition"].endswith('hand-toplines-ru.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    like_yes = next(r for r in rows if r["variable"] == "like" and r["value"] == "yes")
    assert (like_yes["count"], like_yes["percent"], like_yes["base"]) == ("6", "60.0", "10")
    assert like_yes["margin_of_error"] == "30.4"
    assert "'=1+1" in [r["answer"] for r in rows]
    xlsx = client.get("/manage/hand/toplines/download/?format=xlsx&lang=kk")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "Ұнай ма?" in cells and "'=1+1" in cells
    assert not any(c.startswith("=") for c in cells)


def test_someone_not_assigned_gets_a_404(survey, make_form):
    other = survey_import_xlsform(make_form(ROWS, CHOICES, SETTINGS, name="o.csv"), "other")
    client = login(other.survey)
    for url in (
        "/manage/hand/toplines/",
        "/manage/hand/toplines/download/?format=csv",
        "/manage/hand/crosstab/",
        "/manage/hand/published/",
    ):
        assert client.get(url).status_code == 404, url
    assert Client().get("/manage/hand/toplines/").status_code == 302


def test_the_weighted_page_says_it_uses_the_effective_base(survey):
    from reports.weighting import rake
    from surveys.models import WeightingMargin, WeightingScheme, WeightingTarget

    scheme = WeightingScheme.objects.create(survey=survey)
    margin = WeightingMargin.objects.create(scheme=scheme, variable="gender")
    WeightingTarget.objects.create(margin=margin, category="male", population=1)
    WeightingTarget.objects.create(margin=margin, category="female", population=1)
    rake(survey)
    client = login(survey)
    plain = client.get("/manage/hand/toplines/?lang=ru").content.decode()
    assert 'name="weighted"' in plain and "Unweighted" in plain
    page = client.get("/manage/hand/toplines/?lang=ru&weighted=1").content.decode()
    assert "effective base" in page and "n_eff" in page
    # "like" yes: men 3 of 4 (w 1.25), women 3 of 6 (w 0.8333): 62.5% weighted, not 60.
    assert "62.5" in page or "62,5" in page


def test_the_published_page_puts_each_demo_figure_beside_the_measured_one(db):
    from django.core.management import call_command

    from respondents.validation import submission_validate

    call_command("load_demo")
    kazakhstan = Survey.objects.get(slug="gt2024-kazakhstan")
    call_command("simulate_fieldwork", kazakhstan.slug, "--respondents", "30", "--seed", "5")
    for submission in Submission.objects.filter(status="completed", verdict="pending"):
        submission_validate(submission.pk)
    page = login(kazakhstan).get("/manage/gt2024-kazakhstan/published/").content.decode()
    assert 'data-figure="KZ1"' in page and 'data-figure="KZ19c"' in page
    assert "67%" in page and "over one third" in page
    assert "figures inside the margin of error" in page


def test_a_number_question_is_a_crosstab_column_in_bands(survey):
    result = crosstab(survey, "like", "age", bands="18-39, 40+")
    assert [c.label for c in result.columns][:2] == ["18-39", "40+"]
    assert [c.base for c in result.columns] == [4, 6, 10]  # ages 20 30 25 35 | the rest
    yes = result.rows[0]
    assert yes.cells[0] == pytest.approx(4 / 4) and yes.cells[1] == pytest.approx(2 / 6)
    quartiles = crosstab(survey, "like", "age")
    # Ages 20 25 | 30 35 40 | 45 50 | 55 60 65: bands start at the 1st, 3rd, 6th and 8th.
    assert quartiles.bands == "20-29,30-44,45-54,55+"
    assert [c.base for c in quartiles.columns] == [2, 3, 2, 3, 10]
    with pytest.raises(Refused, match="'old' is not a band"):
        crosstab(survey, "like", "age", bands="18-39,old")
    page = login(survey).get("/manage/hand/crosstab/?row=like&col=age&bands=18-39,40%2B")
    assert 'value="18-39,40+"' in page.content.decode()


LIKE_FIGURE = {
    "id": "T1",
    "text": "like",
    "variable": "like",
    "values": ["yes"],
    "base": "all",
    "published": "60%",
    "range": [0.595, 0.605],
}


def test_a_weighted_comparison_uses_weights_and_the_effective_base(survey):
    from reports.toplines import compare_published

    plain = compare_published(survey, [LIKE_FIGURE])[0]
    assert (plain.measured, plain.base, plain.inside) == (0.6, 10, True)
    assert plain.margin == pytest.approx(margin_of_error(0.6, 10))
    for submission in Submission.objects.filter(survey=survey, verdict=Verdict.VALID):
        submission.weight = 2.0 if submission.answers["gender"] == "male" else 1.0
        submission.save(update_fields=["weight"])
    weighted = compare_published(survey, [LIKE_FIGURE], weighted=True)[0]
    assert weighted.measured == pytest.approx(9 / 14) and weighted.base == 10
    assert weighted.effective_base == pytest.approx(14**2 / 22)
    assert weighted.margin == pytest.approx(margin_of_error(9 / 14, 14**2 / 22))
