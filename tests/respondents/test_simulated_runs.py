"""Simulated interviews happen inside the fieldwork window, each run under its own ids."""

import datetime
import random
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from reports.selectors import survey_dashboard
from respondents import simulated_runs
from respondents.models import DailyStats, Respondent, Submission
from respondents.simulation import Mix, simulate_fieldwork
from respondents.validation import submission_validate

pytestmark = pytest.mark.django_db
GOOD = Mix(speeder=0, straightliner=0, inattentive=0, duplicate=0, masher=0, ineligible=0)


def midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def test_interviews_spread_over_the_days_gone_with_start_end_and_length_agreeing(kazakhstan):
    call_command("simulate_fieldwork", kazakhstan.slug, "--respondents", "40", "--seed", "6")
    begun, now = midnight(kazakhstan.fieldwork_start), timezone.now()
    completed = list(Submission.objects.filter(survey=kazakhstan, status="completed"))
    assert len(completed) > 30
    for submission in completed:
        assert begun <= submission.started < submission.ended <= now
        length = (submission.ended - submission.started).total_seconds()
        assert submission.seconds == pytest.approx(length, abs=1.0)
        assert submission.respondent.created <= submission.started
    days = Counter(timezone.localdate(s.ended) for s in completed)
    assert len(days) >= 4  # the demo's window began four days ago
    kept = dict(DailyStats.objects.filter(survey=kazakhstan).values_list("day", "completed"))
    assert kept == dict(days)


def test_a_window_given_on_the_command_line_holds_every_interview(kazakhstan):
    call_command(
        "simulate_fieldwork",
        kazakhstan.slug,
        "--respondents",
        "12",
        "--seed",
        "2",
        "--window",
        "2024-06-10",
        "2024-06-24",
    )
    submissions = Submission.objects.filter(survey=kazakhstan)
    assert submissions.count() == 12
    for submission in submissions:
        assert midnight(datetime.date(2024, 6, 10)) <= submission.started
        assert submission.ended is None or submission.ended < midnight(datetime.date(2024, 6, 25))


def test_a_window_that_has_not_begun_is_refused(kazakhstan):
    later = timezone.localdate() + datetime.timedelta(days=3)
    with pytest.raises(CommandError, match="none of it has gone yet"):
        call_command(
            "simulate_fieldwork",
            kazakhstan.slug,
            "--respondents",
            "3",
            "--window",
            str(later),
            str(later + datetime.timedelta(days=5)),
        )
    assert not Respondent.objects.filter(survey=kazakhstan).exists()


def test_the_real_clock_is_back_after_a_run_even_a_failed_one(kazakhstan, monkeypatch):
    simulate_fieldwork(kazakhstan, 2, seed=1, mix=GOOD)
    assert abs((timezone.now() - datetime.datetime.now(datetime.UTC)).total_seconds()) < 60

    def refuse(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("respondents.services.submission_start", refuse)
    with pytest.raises(RuntimeError):
        simulate_fieldwork(kazakhstan, 2, seed=1, mix=GOOD)
    assert abs((timezone.now() - datetime.datetime.now(datetime.UTC)).total_seconds()) < 60


def test_each_run_has_panel_ids_of_its_own_and_a_seed_still_repeats_the_answers(kazakhstan):
    simulate_fieldwork(kazakhstan, 5, seed=4, mix=GOOD)
    simulate_fieldwork(kazakhstan, 5, seed=4, mix=GOOD)
    ids = list(Respondent.objects.filter(survey=kazakhstan).values_list("panel_id", flat=True))
    assert len(ids) == len(set(ids)) == 10
    runs = Counter(re.fullmatch(r"(sim-[0-9a-f]{8}-)\d{6}", i).group(1) for i in ids)
    assert sorted(runs.values()) == [5, 5]
    first, second = (
        [
            s.answers
            for s in Submission.objects.filter(respondent__panel_id__startswith=run).order_by(
                "respondent__panel_id"
            )
        ]
        for run in runs
    )
    assert first == second


def test_a_run_whose_prefix_is_taken_draws_another(kazakhstan, monkeypatch):
    simulate_fieldwork(kazakhstan, 1, seed=1, mix=GOOD)
    taken = Respondent.objects.get(survey=kazakhstan).panel_id[:13]
    tokens = iter([taken[4:12], "0123abcd"])
    monkeypatch.setattr(simulated_runs.secrets, "token_hex", lambda n: next(tokens))
    assert simulated_runs.run_prefix() == "sim-0123abcd-"


def test_the_window_ends_at_the_last_days_end_or_now_less_the_longest_interview(kazakhstan):
    now = midnight(datetime.date(2024, 6, 20)) + datetime.timedelta(hours=15)
    window = simulated_runs.fieldwork_window(
        kazakhstan, datetime.date(2024, 6, 10), datetime.date(2024, 6, 24), now=now
    )
    assert window.start == midnight(datetime.date(2024, 6, 10))
    assert window.end == now - simulated_runs.LONGEST_INTERVIEW
    past = simulated_runs.fieldwork_window(
        kazakhstan, datetime.date(2024, 6, 10), datetime.date(2024, 6, 24)
    )
    assert past.end == midnight(datetime.date(2024, 6, 25)) - simulated_runs.LONGEST_INTERVIEW
    moments = simulated_runs.start_moments(random.Random(1), 50, past)
    assert moments == sorted(moments) and past.start <= moments[0] and moments[-1] <= past.end


def test_the_demo_dashboard_flags_some_cells_lagging_not_all(kazakhstan):
    call_command("simulate_fieldwork", kazakhstan.slug, "--respondents", "300", "--seed", "2024")
    for submission in Submission.objects.filter(survey=kazakhstan, status="completed"):
        submission_validate(submission.pk)
    page = survey_dashboard(kazakhstan)
    lagging = [cell.lagging for cell in page["cells"]]
    assert page["elapsed"] == pytest.approx(5 / 15)
    assert 0 < sum(lagging) < len(lagging) / 2
    # A row for each day of fieldwork so far, in order, from its first: five, or four
    # just after midnight, when nobody has finished an interview today yet.
    days = [row.day for row in page["daily"]]
    start = kazakhstan.fieldwork_start
    assert days[:4] == [start + datetime.timedelta(days=n) for n in range(4)]
    assert days[4:] in ([], [start + datetime.timedelta(days=4)])
