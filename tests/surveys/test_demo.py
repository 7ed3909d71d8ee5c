import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from surveys.demo import DEMO_DIR, read_populations
from surveys.expressions import Evaluator
from surveys.models import Question, QuotaCell, Survey
from surveys.quotas import allocate_largest_remainder
from surveys.selectors import translation_completeness
from surveys.xlsform.reader import read_xlsform
from tests.conftest import table_counts

pytestmark = pytest.mark.django_db

# Every question of the published figures, by the variable that holds it.
KAZAKHSTAN_FIGURES = {
    "KZ1": "sco_support",
    "KZ2": "coop_opportunity",
    "KZ3": "china_role",
    "KZ4": "sco_impact",
    "KZ5": "proj_welcome",
    "KZ6": "impress",
    "KZ7": "invest_support",
    "KZ8": "work_willing",
    "KZ9": "work_reason",
    "KZ10": "travel_willing",
    "KZ11": "study_willing",
    "KZ12": "learn_chinese",
    "KZ13": "learn_channel",
    "KZ14": "closer",
    "KZ15": "closer_why",
    "KZ16": "coop_gains",
    "KZ17": "china_model",
    "KZ18": "china_model_value",
    "KZ19": "role_ca",
}
CHINA_FIGURES = {
    "CN1": "sco_support",
    "CN2": "sco_enlarge",
    "CN3": "travel_willing",
    "CN4": "direct_flights",
    "CN5": "ca_importance",
    "CN6": "ca_roles",
    "CN7": "closer",
    "CN8": "closer_why",
}


def test_both_editions_are_loaded_with_their_targets_and_cells(demo):
    china, kazakhstan = demo["gt2024-china"], demo["gt2024-kazakhstan"]
    assert (china.sample_target, china.quota_cells.count()) == (1213, 16)
    assert (kazakhstan.sample_target, kazakhstan.quota_cells.count()) == (813, 17)
    for survey in (china, kazakhstan):
        assert sum(survey.quota_cells.values_list("target", flat=True)) == survey.sample_target
        assert survey.status == Survey.Status.LIVE


def test_the_fieldwork_window_is_the_studys_length_with_today_inside_it(demo):
    today = timezone.localdate()
    for survey in demo.values():
        # the study ran 2024-06-10 to 2024-06-24 (its XLSForm keeps those dates): 15 days
        assert (survey.fieldwork_end - survey.fieldwork_start).days + 1 == 15
        assert survey.fieldwork_start == today - datetime.timedelta(days=4)
        assert survey.fieldwork_start < today < survey.fieldwork_end
    settings = read_xlsform(DEMO_DIR / "kazakhstan.csv").definition
    assert (str(settings.fieldwork_start), str(settings.fieldwork_end)) == (
        "2024-06-10",
        "2024-06-24",
    )


def test_loading_the_demo_again_keeps_its_window_and_says_nothing_differs(demo):
    kazakhstan = demo["gt2024-kazakhstan"]
    Survey.objects.filter(pk=kazakhstan.pk).update(
        fieldwork_start=datetime.date(2026, 1, 1), fieldwork_end=datetime.date(2026, 1, 15)
    )
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    kazakhstan.refresh_from_db()
    assert str(kazakhstan.fieldwork_start) == "2026-01-01"
    assert "differs" not in out.getvalue()


def test_each_edition_is_in_its_two_languages_completely(demo):
    assert demo["gt2024-china"].languages == ["zh-hans", "en"]
    assert demo["gt2024-kazakhstan"].languages == ["kk", "ru"]
    for survey in demo.values():
        assert translation_completeness(survey) == {code: 1.0 for code in survey.languages}
        for question in survey.questions.all():
            first, second = (question.label[code] for code in survey.languages)
            assert first != second, f"{question.variable} is not translated"


def test_every_published_figure_has_its_question(demo):
    for slug, figures in (
        ("gt2024-kazakhstan", KAZAKHSTAN_FIGURES),
        ("gt2024-china", CHINA_FIGURES),
    ):
        variables = set(demo[slug].questions.values_list("variable", flat=True))
        missing = {figure: var for figure, var in figures.items() if var not in variables}
        assert not missing, f"{slug} lacks {missing}"


def test_the_two_grids_have_ten_projects_and_five_countries(demo):
    kazakhstan = demo["gt2024-kazakhstan"]
    projects = kazakhstan.questions.get(variable="proj_welcome")
    countries = kazakhstan.questions.get(variable="role_ca")
    assert projects.type == countries.type == Question.Type.GRID
    assert projects.rows.count() == 10
    assert projects.choice_list.choices.count() == 4
    assert [r.label["ru"] for r in countries.rows.all()] == [
        "США",
        "Россия",
        "Китай",
        "Турция",
        "Германия",
    ]


def test_the_model_follow_up_is_shown_only_to_those_who_call_it_successful(demo):
    follow_up = demo["gt2024-kazakhstan"].questions.get(variable="china_model_value")
    shown = [
        code
        for code in ("1", "2", "3", "4", "5")
        if Evaluator({"china_model": code}).holds(follow_up.relevant)
    ]
    assert shown == ["1", "2"]


def test_screening_keeps_ages_18_to_70_and_the_sampled_cities(demo):
    china = demo["gt2024-china"]
    age = china.questions.get(variable="age")
    city = china.questions.get(variable="city")
    ages = [a for a in (17, 18, 45, 70, 71) if Evaluator({}).holds(age.screening, current=a)]
    assert ages == [18, 45, 70]
    assert Evaluator({}).holds(city.screening, current="urumqi")
    assert not Evaluator({}).holds(city.screening, current="other")


def test_cells_are_allocated_by_population_with_largest_remainder(demo):
    populations = read_populations(DEMO_DIR / "kazakhstan_population.csv")
    expected = allocate_largest_remainder(813, populations)
    cells = QuotaCell.objects.filter(survey=demo["gt2024-kazakhstan"])
    assert {cell.name: cell.target for cell in cells} == expected
    almaty = cells.get(name="almaty_city")
    assert almaty.condition == "${region} = 'almaty_city'"
    assert almaty.label == {"kk": "Алматы қаласы", "ru": "город Алматы"}


def test_a_population_file_with_adults_for_every_cell_allocates_by_adults(tmp_path):
    path = tmp_path / "populations.csv"
    path.write_text(
        "value,population,adults,source\na,1000,700,census\nb,1000,800,census\n", "utf-8"
    )
    assert read_populations(path) == {"a": 700, "b": 800}
    path.write_text(
        "value,population,adults,source\na,1000,700,census\nb,1000,,estimate\n", "utf-8"
    )
    assert read_populations(path) == {"a": 1000, "b": 1000}  # never half adults, half all


def test_loading_the_demo_twice_changes_nothing(demo):
    before = table_counts()
    stamps = {s.slug: s.updated for s in Survey.objects.all()}
    ids = set(Question.objects.values_list("pk", flat=True))
    call_command("load_demo")
    assert table_counts() == before
    assert {s.slug: s.updated for s in Survey.objects.all()} == stamps
    assert set(Question.objects.values_list("pk", flat=True)) == ids


def test_loading_the_demo_again_keeps_targets_moved_in_the_admin(demo):
    QuotaCell.objects.filter(name="beijing").update(target=500)
    call_command("load_demo")
    assert QuotaCell.objects.get(name="beijing").target == 500


def test_reset_starts_the_demo_again_from_the_files(demo):
    QuotaCell.objects.filter(name="beijing").update(target=500)
    call_command("load_demo", reset=True)
    assert QuotaCell.objects.get(name="beijing").target == 110
    assert Survey.objects.count() == 2


def test_a_changed_demo_file_does_not_break_a_live_demo(demo, settings, tmp_path, capsys):
    import shutil

    from surveys import demo as demo_module

    for name in ("china.csv", "china_population.csv", "kazakhstan_population.csv"):
        shutil.copy(DEMO_DIR / name, tmp_path / name)
    text = (DEMO_DIR / "kazakhstan.csv").read_text(encoding="utf-8")
    (tmp_path / "kazakhstan.csv").write_text(text.replace("Ваш пол", "Укажите ваш пол"), "utf-8")
    original = demo_module.DEMO_DIR
    demo_module.DEMO_DIR = tmp_path
    try:
        call_command("load_demo")
    finally:
        demo_module.DEMO_DIR = original
    out = capsys.readouterr().out
    assert "kazakhstan.csv differs from the live survey" in out
    gender = Question.objects.get(survey__slug="gt2024-kazakhstan", variable="gender")
    assert gender.label["ru"] == "Ваш пол"
