"""An address that opted out or bounced in one wave of a study gets nothing from the next.

The next wave (`survey_copy`) invites the same panel again; its members are new rows, but
the people are the same, and they asked for no more e-mail about this survey.
"""

from __future__ import annotations

import pytest

from mailings import sending, services
from mailings.models import MailingSchedule, Send
from surveys.models import Survey
from surveys.waves import survey_copy
from tests.conftest import go_live
from tests.mailings.conftest import members
from tests.mailings.test_reminders import invited_days_ago

pytestmark = pytest.mark.django_db
PANEL = [
    ("aruzhan", "ru", "aruzhan@example.kz", "", {}),
    ("bolat", "kk", "bolat@example.kz", "", {}),
    ("dead", "ru", "nobody@example.kz", "", {}),
]


def send_all(survey: Survey) -> None:
    while sending.survey_send_due(survey.pk) is not None:
        pass


def recipients(survey: Survey) -> list[str]:
    """The addresses `survey`'s messages were sent to."""
    sent = Send.objects.filter(wave__survey=survey, state=Send.State.SENT)
    return sorted(sent.values_list("email", flat=True))


@pytest.fixture
def waves(kazakhstan_mailing, smtp):
    """The first wave mailed: aruzhan opted out, nobody@ bounced; then the second wave,
    live, with the same panel (one address typed in capitals)."""
    first = kazakhstan_mailing
    smtp.refuse["nobody@example.kz"] = "550 5.1.1 no such user"
    aruzhan, _bolat, _dead = members(first, *PANEL)
    services.invitations_send(first)
    send_all(first)
    services.opt_out(aruzhan)
    second = go_live(survey_copy(first, "gt2024-kazakhstan-w2"))
    assert MailingSchedule.objects.get(survey=second).rate_per_minute == 6000  # copied
    members(second, ("aruzhan", "ru", "Aruzhan@Example.kz", "", {}), *PANEL[1:])
    return first, second


def test_the_next_wave_invites_neither_an_opted_out_nor_a_bounced_address(waves, smtp):
    first, second = waves
    assert recipients(first) == ["aruzhan@example.kz", "bolat@example.kz"]
    services.invitations_send(second)
    send_all(second)
    assert recipients(second) == ["bolat@example.kz"]
    # What the mail server got: two invitations for Bolat, one for Aruzhan, none accepted
    # for the dead address.
    assert [len(smtp.to(f"{name}@example.kz")) for name in ("aruzhan", "bolat", "nobody")] == [
        1,
        2,
        0,
    ]
    assert not Send.objects.filter(wave__survey=second, respondent__panel_id="dead").exists()


def test_an_opt_out_in_the_first_wave_stops_the_second_wave_s_reminders(waves, smtp):
    first, second = waves
    schedule = services.schedule_of(second)
    schedule.reminder_after_days, schedule.reminder_max = 3, 2
    schedule.save()
    invited_days_ago(second, 4)
    assert recipients(second) == ["bolat@example.kz"]
    # Bolat opts out in the first wave after the second one's invitation went.
    services.opt_out(first.respondents.get(panel_id="bolat"))
    assert services.reminders_send(second) is None


def test_a_message_already_queued_is_skipped_when_the_address_opts_out_elsewhere(waves, smtp):
    first, second = waves
    wave = services.invitations_send(second)
    assert wave is not None
    services.opt_out(first.respondents.get(panel_id="bolat"))
    send_all(second)
    skipped = Send.objects.get(wave=wave, respondent__panel_id="bolat")
    assert (skipped.state, skipped.error) == (Send.State.SKIPPED, "opted out")
    assert len(smtp.to("bolat@example.kz")) == 1  # the first wave's invitation only


def test_another_study_still_mails_the_address(kazakhstan_mailing, china, smtp):
    member = members(kazakhstan_mailing, PANEL[0])[0]
    services.opt_out(member)
    MailingSchedule.objects.create(survey=china, rate_per_minute=6000)
    members(china, ("aruzhan", "zh-hans", "aruzhan@example.kz", "", {}))
    services.invitations_send(china)
    send_all(china)
    assert recipients(china) == ["aruzhan@example.kz"]
