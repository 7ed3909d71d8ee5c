"""The pre-flight check before going live: the same on the command line and everywhere."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from surveys.errors import SurveyError
from surveys.models import Question, QuotaCell, Survey
from surveys.preflight import survey_preflight
from surveys.services import (
    QuotaCellSpec,
    quota_cells_define,
    survey_import_xlsform,
    survey_set_status,
)
from tests import bilingual_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(make_form):
    survey = survey_import_xlsform(bilingual_form.write(make_form), "china").survey
    quota_cells_define(
        survey,
        [
            QuotaCellSpec("astana", {"kk": "Астана", "ru": "Астана"}, "${region} = 'astana'", 6),
            QuotaCellSpec("almaty", {"kk": "Алматы", "ru": "Алматы"}, "${region} = 'almaty'", 4),
        ],
    )
    Survey.objects.filter(pk=survey.pk).update(
        sample_target=10,
        fieldwork_start=datetime.date(2026, 6, 10),
        fieldwork_end=datetime.date(2026, 6, 24),
    )
    survey.refresh_from_db()
    return survey


def test_a_complete_design_is_ready(survey):
    report = survey_preflight(survey)
    assert report.ready and report.errors == [] and report.warnings == []


def test_a_text_missing_in_one_language_is_named(survey):
    Question.objects.filter(variable="been").update(label={"kk": "Қытайда болдыңыз ба?"})
    assert survey_preflight(survey).errors == [
        "question 'been': its label has no text in Russian (ru)."
    ]


def test_a_cell_naming_a_choice_or_question_that_does_not_exist_is_refused(survey):
    QuotaCell.objects.filter(name="astana").update(condition="${region} = 'nur-sultan'")
    QuotaCell.objects.filter(name="almaty").update(condition="${city} = 'almaty'")
    errors = survey_preflight(survey).errors
    assert any("'nur-sultan', which question 'region' does not have" in e for e in errors)
    assert any("almaty" in e and "city" in e for e in errors)


def test_hard_targets_must_sum_to_the_sample_target_soft_ones_do_not_count(survey):
    QuotaCell.objects.filter(name="almaty").update(target=5)
    assert "sum to 11, not to the sample target of 10" in survey_preflight(survey).errors[0]
    QuotaCell.objects.filter(name="almaty").update(is_hard=False)
    assert "sum to 6, not to" in survey_preflight(survey).errors[0]


def test_hard_cells_on_two_margins_each_sum_to_the_sample_target(survey):
    # Region cells share out the 10 interviews, and so do age bands, independently.
    regions = [
        QuotaCellSpec(c.name, c.label, c.condition, c.target, c.is_hard)
        for c in survey.quota_cells.order_by("position")
    ]
    quota_cells_define(
        survey,
        [
            *regions,
            QuotaCellSpec("young", {"kk": "18-39", "ru": "18-39"}, "${age} < 40", 5),
            QuotaCellSpec("older", {"kk": "40+", "ru": "40+"}, "${age} >= 40", 5),
        ],
    )
    assert survey_preflight(survey).errors == []
    QuotaCell.objects.filter(name="older").update(target=4)
    assert survey_preflight(survey).errors == [
        "The hard quota cells on age have targets that sum to 9, not to the sample target of 10."
    ]


def test_missing_fieldwork_dates_are_refused(survey):
    Survey.objects.filter(pk=survey.pk).update(fieldwork_end=None)
    survey.refresh_from_db()
    assert survey_preflight(survey).errors == [
        "The fieldwork dates are missing: set both the start and the end of fieldwork."
    ]


def test_no_screening_is_a_warning_not_a_refusal(survey):
    Question.objects.filter(variable="age").update(screening="")
    report = survey_preflight(survey)
    assert report.ready
    assert report.warnings and "No question screens respondents" in report.warnings[0]


def test_the_status_change_applies_the_check_with_every_reason(survey):
    Survey.objects.filter(pk=survey.pk).update(fieldwork_start=None, sample_target=0)
    survey.refresh_from_db()
    with pytest.raises(SurveyError) as refused:
        survey_set_status(survey, Survey.Status.LIVE)
    assert len(refused.value.errors) == 3  # target, dates, and the cells' sum
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.DRAFT


def test_the_publish_command_checks_then_goes_live(survey, capsys):
    Survey.objects.filter(pk=survey.pk).update(fieldwork_start=None)
    with pytest.raises(CommandError, match="fieldwork dates are missing"):
        call_command("publish", "china", "--check")
    with pytest.raises(CommandError, match="was not published"):
        call_command("publish", "china")
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.DRAFT
    Survey.objects.filter(pk=survey.pk).update(fieldwork_start=datetime.date(2026, 6, 10))
    call_command("publish", "china", "--check")
    assert "ready to go live" in capsys.readouterr().out
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.DRAFT
    call_command("publish", "china")
    assert "china: live" in capsys.readouterr().out
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.LIVE


def test_the_demo_passes_its_own_check():
    call_command("load_demo")
    for survey in Survey.objects.all():
        assert survey.status == Survey.Status.LIVE
