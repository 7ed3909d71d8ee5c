import pytest
from django.urls import reverse

from surveys.models import Question, QuotaCell, Survey
from surveys.services import survey_import_xlsform, survey_set_status
from tests.conftest import SHARED_FORMS

pytestmark = pytest.mark.django_db


def test_the_survey_list_shows_languages_targets_and_translation_completeness(admin_client, demo):
    page = admin_client.get(reverse("admin:surveys_survey_changelist")).content.decode()
    assert "Kazakh (kk) *, Russian (ru)" in page
    assert "kk&nbsp;100%" in page and "ru&nbsp;100%" in page
    assert "1,213 in 16" in page and "813 in 17" in page


def test_an_incomplete_translation_shows_its_share(admin_client):
    survey = survey_import_xlsform(SHARED_FORMS / "yes_or_no_question.xlsx", "yn").survey
    Survey.objects.filter(pk=survey.pk).update(languages=["en", "ru"])
    page = admin_client.get(reverse("admin:surveys_survey_changelist")).content.decode()
    assert "en&nbsp;100%" in page
    assert "ru&nbsp;0%" in page


def test_a_question_is_edited_with_one_box_per_survey_language(admin_client):
    survey = survey_import_xlsform(SHARED_FORMS / "yes_or_no_question.xlsx", "yn").survey
    Survey.objects.filter(pk=survey.pk).update(languages=["en", "ru"])
    question = Question.objects.get(variable="good_day")
    url = reverse("admin:surveys_question_change", args=[question.pk])
    page = admin_client.get(url).content.decode()
    assert "English (en)" in page and "Russian (ru)" in page
    form = {
        "survey": survey.pk,
        "page": question.page_id,
        "position": 0,
        "variable": "good_day",
        "type": "single",
        "required": "",
        "label_en": "Good day?",
        "label_ru": "Хороший день?",
        "hint_en": "",
        "hint_ru": "",
        "constraint_message_en": "",
        "constraint_message_ru": "",
        "relevant": "",
        "constraint": "",
        "screening": "",
        "choice_list": question.choice_list_id,
        "appearance": "",
        "rows-TOTAL_FORMS": 0,
        "rows-INITIAL_FORMS": 0,
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.label == {"en": "Good day?", "ru": "Хороший день?"}


def test_a_live_survey_questionnaire_is_read_only(admin_client, demo):
    question = Question.objects.get(survey__slug="gt2024-kazakhstan", variable="age")
    url = reverse("admin:surveys_question_change", args=[question.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(url, {"variable": "hacked"}).status_code == 403
    assert Question.objects.get(pk=question.pk).variable == "age"


def test_a_quota_condition_on_an_unknown_question_is_refused(admin_client, demo):
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.DRAFT)
    cell = QuotaCell.objects.get(survey=survey, name="astana")
    url = reverse("admin:surveys_quotacell_change", args=[cell.pk])
    response = admin_client.post(
        url,
        {
            "survey": cell.survey_id,
            "position": cell.position,
            "name": "astana",
            "label_kk": "Астана",
            "label_ru": "Астана",
            "condition": "${oblast} = 'astana'",
            "target": 60,
            "is_hard": "on",
        },
    )
    assert response.status_code == 200
    assert "${oblast}" in response.content.decode()
    assert QuotaCell.objects.get(pk=cell.pk).target != 60


def test_a_live_cell_keeps_its_condition_and_its_counts(admin_client, demo):
    cell = QuotaCell.objects.get(survey__slug="gt2024-kazakhstan", name="astana")
    url = reverse("admin:surveys_quotacell_change", args=[cell.pk])
    form = admin_client.get(url)  # the admin reads the cell ...
    QuotaCell.objects.filter(pk=cell.pk).update(reserved=3, confirmed=4)  # ... fieldwork goes on
    response = admin_client.post(
        url,
        {
            "survey": cell.survey_id,
            "position": cell.position,
            "label_kk": "Астана",
            "label_ru": "Астана",
            "condition": "${age} > 0",
            "target": 70,
            "is_hard": "on",
        },
    )
    assert form.status_code == 200 and response.status_code == 302
    cell.refresh_from_db()
    assert (cell.target, cell.condition) == (70, "${region} = 'astana'")
    assert (cell.reserved, cell.confirmed) == (3, 4)


def test_a_quota_target_can_move_while_the_survey_is_live(admin_client, demo):
    cell = QuotaCell.objects.get(survey__slug="gt2024-kazakhstan", name="astana")
    response = admin_client.post(
        reverse("admin:surveys_quotacell_change", args=[cell.pk]),
        {
            "survey": cell.survey_id,
            "position": cell.position,
            "name": "astana",
            "label_kk": "Астана",
            "label_ru": "Астана",
            "condition": cell.condition,
            "target": 60,
            "is_hard": "on",
        },
    )
    assert response.status_code == 302
    assert QuotaCell.objects.get(pk=cell.pk).target == 60


def test_status_can_change_on_a_live_survey(admin_client, demo):
    survey = Survey.objects.get(slug="gt2024-china")
    survey_set_status(survey, Survey.Status.CLOSED)
    page = admin_client.get(reverse("admin:surveys_survey_change", args=[survey.pk]))
    assert 'name="_save"' in page.content.decode()


def test_a_question_cannot_be_added_to_a_live_survey(admin_client, demo):
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    page = survey.pages.first()
    response = admin_client.post(
        reverse("admin:surveys_question_add"),
        {
            "survey": survey.pk,
            "page": page.pk,
            "position": 999,
            "variable": "injected",
            "type": "text",
            "label_en": "Injected",
            "relevant": "",
            "constraint": "",
            "screening": "",
            "appearance": "",
            "rows-TOTAL_FORMS": 0,
            "rows-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "can no longer change" in response.content.decode()
    assert not Question.objects.filter(variable="injected").exists()


def test_skip_logic_typed_in_the_admin_is_checked(admin_client):
    survey = survey_import_xlsform(SHARED_FORMS / "yes_or_no_question.xlsx", "yn").survey
    question = Question.objects.get(variable="good_day")
    response = admin_client.post(
        reverse("admin:surveys_question_change", args=[question.pk]),
        {
            "survey": survey.pk,
            "page": question.page_id,
            "position": 0,
            "variable": "good_day",
            "type": "single",
            "label_en": "Good day?",
            "relevant": "${nowhere} >",
            "constraint": "",
            "screening": "",
            "choice_list": question.choice_list_id,
            "appearance": "",
            "rows-TOTAL_FORMS": 0,
            "rows-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "ends too early" in response.content.decode()
    assert Question.objects.get(pk=question.pk).relevant == ""


def test_a_survey_cannot_be_set_live_in_the_admin_with_missing_translations(admin_client):
    survey = survey_import_xlsform(SHARED_FORMS / "yes_or_no_question.xlsx", "yn").survey
    Survey.objects.filter(pk=survey.pk).update(languages=["en", "kk"])
    response = admin_client.post(
        reverse("admin:surveys_survey_change", args=[survey.pk]),
        {
            "slug": "yn",
            "title_en": "Good day",
            "title_kk": "Қайырлы күн",
            "status": "live",
            "version": "",
            "languages": '["en", "kk"]',
            "default_language": "en",
            "sample_target": 10,
            "fieldwork_start": "",
            "fieldwork_end": "",
            "quota_cells-TOTAL_FORMS": 0,
            "quota_cells-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "has no text in Kazakh (kk)" in response.content.decode()
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.DRAFT
