"""The fieldwork schedule: not open yet, paused, closed, extended (issue 17, item 5)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from reports.selectors import survey_dashboard, survey_overview
from respondents import pages
from respondents.ingestion import IngestionError, Interview, submission_ingest
from respondents.models import Submission
from respondents.tasks import close_surveys
from surveys import schedule
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.questionnaire import questionnaire_of
from surveys.services import survey_set_status
from tests.respondents.conftest import Respondent_, invite
from tests.respondents.test_validation import attentive

pytestmark = pytest.mark.django_db


def today():
    """Today, asked when the test runs: a run collected before midnight goes on after it."""
    return timezone.localdate()


DAY = datetime.timedelta(days=1)


def dated(survey, start, end):
    Survey.objects.filter(pk=survey.pk).update(fieldwork_start=start, fieldwork_end=end)
    survey.refresh_from_db()
    return survey


def test_a_link_before_the_start_says_when_it_opens_in_its_language(kazakhstan):
    dated(kazakhstan, datetime.date(2030, 3, 9), datetime.date(2030, 3, 20))
    person = Respondent_(invite(kazakhstan, "p1", language="ru", region="astana", age=30))
    page = person.client.get(f"/s/{person.token}/").content.decode()
    assert 'data-end="not_open"' in page
    assert "9 марта 2030" in page  # the opening day, as Russian writes it
    assert not Submission.objects.exists()
    kazakh = Respondent_(invite(kazakhstan, "p2", language="kk", region="astana", age=30))
    assert "2030" in kazakh.client.get(f"/s/{kazakh.token}/").content.decode()


def test_a_link_after_the_end_is_closed_before_beat_runs(kazakhstan):
    person = Respondent_(invite(kazakhstan, "p1", region="astana", age=30))
    response = person.start("ru")  # begun while open
    page = person.current_page(response)
    answers_before = person.submission.answers
    dated(kazakhstan, today() - 10 * DAY, today() - DAY)
    assert kazakhstan.status == Survey.Status.LIVE
    refused = person.answer(page, **attentive())
    assert 'data-end="closed"' in refused.content.decode()
    submission = person.submission
    assert submission.status == Submission.Status.IN_PROGRESS
    assert submission.answers == answers_before
    fresh = Respondent_(invite(kazakhstan, "p2", region="astana", age=30))
    assert 'data-end="closed"' in fresh.client.get(f"/s/{fresh.token}/").content.decode()


def test_the_page_services_refuse_a_closed_survey_and_store_nothing(kazakhstan):
    person = Respondent_(invite(kazakhstan, "p1", region="astana", age=30))
    page = person.current_page(person.start("ru"))
    survey_set_status(kazakhstan, Survey.Status.CLOSED)
    submission = Submission.objects.select_related("survey", "respondent").get()
    questionnaire = questionnaire_of(kazakhstan)
    outcome = pages.submission_page_submit(submission, questionnaire, page, {"next": "1"})
    assert outcome.next is pages.Next.CLOSED
    assert pages.submission_resume(submission, questionnaire).next is pages.Next.CLOSED
    submission.refresh_from_db()
    assert (submission.pages_done, submission.answers) == ([], {})
    with pytest.raises(SurveyError):
        schedule.fieldwork_pause(kazakhstan)


def test_pausing_stops_every_link_and_resuming_lets_them_go_on(kazakhstan, django_user_model):
    boss = django_user_model.objects.create_user("boss")
    person = Respondent_(invite(kazakhstan, "p1", region="astana", age=30))
    page = person.current_page(person.start("ru"))
    schedule.fieldwork_pause(kazakhstan, user=boss)
    paused = person.answer(page, **attentive()).content.decode()
    assert 'data-end="paused"' in paused
    assert person.submission.pages_done == []
    schedule.fieldwork_resume(kazakhstan, user=boss)
    person.answer(page, **attentive())
    assert person.submission.pages_done == [page]
    moves = AuditEntry.objects.filter(action=AuditEntry.Action.SURVEY_STATUS, actor="boss")
    assert [(e.details["from"], e.details["to"]) for e in moves.order_by("pk")] == [
        ("live", "paused"),
        ("paused", "live"),
    ]
    with pytest.raises(SurveyError) as refused:
        schedule.fieldwork_resume(kazakhstan)
    assert refused.value.errors == ["Only a paused survey can be resumed."]


def test_extending_needs_a_reason_and_a_later_day(kazakhstan):
    end = kazakhstan.fieldwork_end
    with pytest.raises(SurveyError) as refused:
        schedule.fieldwork_extend(kazakhstan, end - DAY, "  ")
    assert "Give a reason for the new end date." in refused.value.errors
    assert any(error.startswith("The new end date must be after") for error in refused.value.errors)
    kazakhstan.refresh_from_db()
    assert kazakhstan.fieldwork_end == end


def test_extending_a_survey_closed_by_its_date_reopens_it(kazakhstan, django_user_model):
    boss = django_user_model.objects.create_user("boss")
    dated(kazakhstan, today() - 10 * DAY, today() - DAY)
    assert close_surveys() == ["gt2024-kazakhstan"]
    kazakhstan.refresh_from_db()
    assert kazakhstan.status == Survey.Status.CLOSED
    schedule.fieldwork_extend(
        kazakhstan, today() + 3 * DAY, "regions behind after floods", user=boss
    )
    kazakhstan.refresh_from_db()
    assert (kazakhstan.status, kazakhstan.fieldwork_end) == (Survey.Status.LIVE, today() + 3 * DAY)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.FIELDWORK_DATES)
    assert entry.details == {
        "fieldwork_end": {
            "from": (today() - DAY).isoformat(),
            "to": (today() + 3 * DAY).isoformat(),
        },
        "reason": "regions behind after floods",
    }
    assert entry.actor == "boss"


def test_a_survey_closed_before_its_end_is_not_reopened_by_extending(kazakhstan):
    survey_set_status(kazakhstan, Survey.Status.CLOSED)
    with pytest.raises(SurveyError) as refused:
        schedule.fieldwork_extend(kazakhstan, kazakhstan.fieldwork_end + DAY, "more")
    assert refused.value.errors[0].startswith("The survey closed before its end date")


def test_beat_closes_ended_surveys_once(kazakhstan, china):
    dated(kazakhstan, today() - 10 * DAY, today() - DAY)
    dated(china, today() - 10 * DAY, today())  # today is its last day
    assert close_surveys() == ["gt2024-kazakhstan"]
    assert close_surveys() == []
    kazakhstan.refresh_from_db()
    china.refresh_from_db()
    assert (kazakhstan.status, china.status) == (Survey.Status.CLOSED, Survey.Status.LIVE)
    closing = AuditEntry.objects.filter(action=AuditEntry.Action.SURVEY_STATUS, survey=kazakhstan)
    closed = [e.actor for e in closing if e.details["to"] == "closed"]
    assert closed == ["schedule"]


def test_beat_closes_a_resumed_survey_at_its_target(kazakhstan):
    from respondents.models import SurveyStats

    SurveyStats.objects.update_or_create(survey=kazakhstan, defaults={"valid": 813})
    schedule.fieldwork_pause(kazakhstan)
    assert close_surveys() == []  # paused: it waits
    schedule.fieldwork_resume(kazakhstan)
    assert close_surveys() == ["gt2024-kazakhstan"]


def test_the_api_refuses_an_interview_before_the_start(kazakhstan):
    dated(kazakhstan, today() + 2 * DAY, today() + 20 * DAY)
    with pytest.raises(IngestionError) as refused:
        submission_ingest(kazakhstan, Interview(panel_id="x", language="ru", answers={}))
    assert "The survey opens on" in str(refused.value.errors["survey"][0])


def test_the_dashboard_flags_a_survey_ending_soon_with_lagging_cells(kazakhstan, china):
    dated(kazakhstan, today() - 12 * DAY, today() + DAY)
    board = survey_dashboard(kazakhstan)
    assert (board["phase"], board["days_left"], board["lagging_at_end"]) == ("open", 1, True)
    rows = {row["survey"].slug: row for row in survey_overview(Survey.objects.all())}
    assert rows["gt2024-kazakhstan"]["lagging_at_end"] is True
    assert rows["gt2024-china"]["lagging_at_end"] is False  # ends in ten days
    page = Client()
    page.force_login(_admin())
    html = page.get("/manage/").content.decode()
    assert html.count('data-flag="ending-lagging"') == 1


def _admin():
    from django.contrib.auth.models import User

    return User.objects.create_superuser("root", password="x-long-password-1")
