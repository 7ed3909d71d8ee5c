"""Reminders: due N days after the last message, at most K, never to whom they must skip."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from mailings import sending, services
from mailings.models import Kind, OptOut, Send
from mailings.reminders import reminders_due
from respondents.models import Submission, Verdict
from surveys.models import QuotaCell, Survey
from tests.mailings.conftest import members


def invited_days_ago(survey, days: float) -> None:
    """Invite everyone who may be, as if the invitations went `days` days ago."""
    services.invitations_send(survey)
    while sending.survey_send_due(survey.pk) is not None:
        pass
    Send.objects.filter(wave__survey=survey).update(
        sent=timezone.now() - datetime.timedelta(days=days)
    )


def submission(respondent, status, verdict=Verdict.PENDING) -> Submission:
    return Submission.objects.create(
        respondent=respondent,
        survey=respondent.survey,
        language="ru",
        status=status,
        verdict=verdict,
    )


def test_reminders_skip_every_member_who_must_not_get_one(kazakhstan_mailing, smtp):
    schedule = services.schedule_of(kazakhstan_mailing)
    schedule.reminder_after_days, schedule.reminder_max = 3, 2
    schedule.save()
    rows = {
        name: (name, "ru", f"{name}@example.kz", "", known)
        for name, known in [
            ("waiting", {"region": "almaty_city"}),
            ("halfway", {"region": "almaty_city"}),
            ("completed", {}),
            ("valid", {}),
            ("screened", {}),
            ("overquota", {}),
            ("optedout", {}),
            ("bounced", {}),
            ("fullcell", {"region": "astana"}),
        ]
    }
    people = dict(zip(rows, members(kazakhstan_mailing, *rows.values()), strict=True))
    smtp.refuse["bounced@example.kz"] = "550 5.1.1 no such user"
    invited_days_ago(kazakhstan_mailing, 4)
    submission(people["halfway"], Submission.Status.IN_PROGRESS)
    submission(people["completed"], Submission.Status.COMPLETED)
    submission(people["valid"], Submission.Status.COMPLETED, Verdict.VALID)
    submission(people["screened"], Submission.Status.SCREENED_OUT)
    submission(people["overquota"], Submission.Status.OVER_QUOTA)
    OptOut.objects.create(respondent=people["optedout"])
    QuotaCell.objects.filter(survey=kazakhstan_mailing, name="astana").update(target=0)

    due = {
        kazakhstan_mailing.respondents.get(pk=pk).panel_id: r
        for pk, r in reminders_due(kazakhstan_mailing)
    }
    assert due == {"waiting": 1, "halfway": 1}

    wave = services.reminders_send(kazakhstan_mailing)
    assert wave.kind == Kind.REMINDER
    while sending.survey_send_due(kazakhstan_mailing.pk) is not None:
        pass
    reminded = sorted(
        r.recipients[0] for r in smtp.received if "Напоминание" in str(r.message["Subject"])
    )
    assert reminded == ["halfway@example.kz", "waiting@example.kz"]


def test_a_reminder_is_due_only_n_days_after_the_last_message_and_at_most_k(
    kazakhstan_mailing, smtp
):
    schedule = services.schedule_of(kazakhstan_mailing)
    schedule.reminder_after_days, schedule.reminder_max = 3, 2
    schedule.save()
    (member,) = members(kazakhstan_mailing, ("m", "kk", "m@example.kz", "", {}))
    invited_days_ago(kazakhstan_mailing, 2)
    assert reminders_due(kazakhstan_mailing) == []
    Send.objects.update(sent=timezone.now() - datetime.timedelta(days=3, minutes=1))
    assert reminders_due(kazakhstan_mailing) == [(member.pk, 1)]

    for expected_round in (1, 2):
        services.reminders_send(kazakhstan_mailing)
        while sending.survey_send_due(kazakhstan_mailing.pk) is not None:
            pass
        assert Send.objects.get(respondent=member, round=expected_round).state == Send.State.SENT
        assert reminders_due(kazakhstan_mailing) == []  # the reminder was just sent
        Send.objects.update(sent=timezone.now() - datetime.timedelta(days=4))
    assert reminders_due(kazakhstan_mailing) == []  # two reminders at most
    kazakh = [r for r in smtp.received if "Еске салу" in str(r.message["Subject"])]
    assert len(kazakh) == 2


def test_no_reminders_after_the_fieldwork_end_or_while_the_survey_is_not_live(
    kazakhstan_mailing, smtp
):
    members(kazakhstan_mailing, ("m", "ru", "m@example.kz", "", {}))
    invited_days_ago(kazakhstan_mailing, 10)
    assert len(reminders_due(kazakhstan_mailing)) == 1
    Survey.objects.filter(pk=kazakhstan_mailing.pk).update(
        fieldwork_end=timezone.localdate() - datetime.timedelta(days=1)
    )
    kazakhstan_mailing.refresh_from_db()
    assert reminders_due(kazakhstan_mailing) == []
    Survey.objects.filter(pk=kazakhstan_mailing.pk).update(
        fieldwork_end=timezone.localdate(), status=Survey.Status.CLOSED
    )
    kazakhstan_mailing.refresh_from_db()
    assert reminders_due(kazakhstan_mailing) == []


def test_a_member_who_finishes_after_the_wave_is_made_is_not_reminded(kazakhstan_mailing, smtp):
    (member,) = members(kazakhstan_mailing, ("m", "ru", "m@example.kz", "", {}))
    invited_days_ago(kazakhstan_mailing, 10)
    services.reminders_send(kazakhstan_mailing)
    submission(member, Submission.Status.COMPLETED)
    while sending.survey_send_due(kazakhstan_mailing.pk) is not None:
        pass
    reminder = Send.objects.get(respondent=member, round=1)
    assert reminder.state == Send.State.SKIPPED
    assert "completed" in reminder.error
    assert len(smtp.received) == 1  # the invitation only


def test_the_remind_command_sends_what_is_due(kazakhstan_mailing, smtp, capsys):
    members(kazakhstan_mailing, ("m", "ru", "m@example.kz", "", {}))
    invited_days_ago(kazakhstan_mailing, 10)
    call_command("remind", kazakhstan_mailing.slug)
    assert "1 reminders queued" in capsys.readouterr().out
    call_command("remind", kazakhstan_mailing.slug)
    assert "no reminders are due now" in capsys.readouterr().out


def test_celery_beat_sends_reminders_and_sweeps_lost_messages():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"mailings.tasks.remind_all", "mailings.tasks.sweep"} <= tasks


def test_the_response_rate_by_days_since_the_invitation(kazakhstan_mailing, smtp):
    from mailings.selectors import response_by_day

    people = members(
        kazakhstan_mailing, *[(f"m{n}", "ru", f"m{n}@example.kz", "", {}) for n in range(4)]
    )
    invited_days_ago(kazakhstan_mailing, 3.5)
    invited = Send.objects.get(respondent=people[0]).sent
    for person, days in ((people[0], 1.5), (people[1], 2.2)):
        done = submission(person, Submission.Status.COMPLETED)
        Submission.objects.filter(pk=done.pk).update(ended=invited + datetime.timedelta(days=days))
    submission(people[2], Submission.Status.IN_PROGRESS)
    assert response_by_day(kazakhstan_mailing) == [(0, 0.0), (1, 0.25), (2, 0.5), (3, 0.5)]
