"""What a form declares for its welcome page: the interview's length and a consent text."""

import pytest
from django.core.management import call_command

from surveys.selectors import survey_definition
from surveys.services import survey_import_xlsform
from tests.surveys.test_xlsform_import import SETTINGS, YESNO, assert_rejected, survey_rows

pytestmark = pytest.mark.django_db

CONSENT = {
    "consent::Kazakh (kk)": "Қатысу ерікті.",
    "consent::Russian (ru)": "Участие добровольное.",
}


def test_the_length_and_the_consent_text_are_read_from_the_settings(make_form):
    path = make_form(survey_rows(), YESNO, {**SETTINGS, **CONSENT, "estimated_minutes": "12"})
    survey = survey_import_xlsform(path, "kz").survey
    assert survey.estimated_minutes == 12
    assert survey.consent == {"kk": "Қатысу ерікті.", "ru": "Участие добровольное."}


def test_a_form_without_them_has_neither(make_form):
    survey = survey_import_xlsform(make_form(survey_rows(), YESNO, SETTINGS), "kz").survey
    assert (survey.estimated_minutes, survey.consent) == (None, {})


@pytest.mark.parametrize("minutes", ["0", "ten", "2.5", "601"])
def test_a_length_that_is_not_whole_minutes_is_refused(make_form, minutes):
    path = make_form(survey_rows(), YESNO, {**SETTINGS, "estimated_minutes": minutes})
    assert_rejected(path, f"estimated_minutes '{minutes}'")


def test_a_consent_text_missing_in_one_language_is_refused(make_form):
    settings = {**SETTINGS, "consent::Kazakh (kk)": "Қатысу ерікті."}
    assert_rejected(make_form(survey_rows(), YESNO, settings), "consent has no text in Russian")


def test_they_survive_an_export_and_an_import(make_form, tmp_path):
    path = make_form(survey_rows(), YESNO, {**SETTINGS, **CONSENT, "estimated_minutes": "7"})
    original = survey_import_xlsform(path, "original").survey
    exported = tmp_path / "exported.xlsx"
    call_command("export_xlsform", "original", str(exported))
    copy = survey_import_xlsform(exported, "copy").survey
    assert (copy.estimated_minutes, copy.consent) == (7, original.consent)
    assert survey_definition(copy) == survey_definition(original)
