"""Test links racing real respondents for quota places, on PostgreSQL (ADR 0026).

A test submission reads the cells and takes no place, so the guarded UPDATE of ADR 0005
still decides among real submissions only: a cell of 5 places ends with 5 real ones.
"""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection, connections

from respondents import services
from respondents.models import QuotaSlot, Respondent, Submission, SurveyStats
from respondents.tokens import new_token
from respondents.validation import submission_validate
from surveys.models import QuotaCell, Survey

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")


def started(survey, number: int, test: bool) -> Submission:
    source = Respondent.Source.TEST if test else Respondent.Source.PANEL
    respondent = Respondent.objects.create(
        survey=survey,
        token=new_token(),
        source=source,
        panel_id="" if test else f"race-{number}",
        known={} if test else {"region": "astana"},
    )
    return Submission.objects.create(
        respondent=respondent,
        survey=survey,
        language="ru",
        is_test=test,
        answers={"age": 30 + number % 40, "gender": "male", "region": "astana"},
    )


def test_test_submissions_take_no_real_place_under_concurrency(monkeypatch):
    monkeypatch.setattr(services, "enqueue_validation", lambda submission_id: None)
    call_command("load_demo")
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    QuotaCell.objects.filter(survey=survey, name="astana").update(target=5)
    # Tests first in every pair, so that many of them finish before the cell fills.
    submissions = [started(survey, n, test=n % 2 == 0) for n in range(160)]
    barrier = threading.Barrier(60)

    def finish(submission):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            return submission.is_test, services.submission_complete(submission).status
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=60) as pool:
        outcomes = list(pool.map(finish, submissions))
    real = [status for is_test, status in outcomes if not is_test]
    tests = [status for is_test, status in outcomes if is_test]
    assert (real.count("completed"), real.count("over_quota")) == (5, 75)
    assert tests.count("completed") >= 1, "no test finished while the cell had room"
    astana = QuotaCell.objects.get(survey=survey, name="astana")
    assert (astana.reserved, astana.confirmed, astana.released) == (5, 0, 0)
    slots = QuotaSlot.objects.filter(cell=astana)
    assert slots.count() == 5 and not slots.filter(submission__is_test=True).exists()

    # Validated through the PostgreSQL functions: the tests' verdicts move no count.
    for submission in Submission.objects.filter(survey=survey, status="completed"):
        submission_validate(submission.pk)
    astana.refresh_from_db()
    assert astana.reserved + astana.confirmed + astana.released == 5
    stats = SurveyStats.objects.get(survey=survey)
    real_judged = Submission.objects.filter(survey=survey, is_test=False, status="completed")
    assert stats.valid + stats.invalid == real_judged.count() == 5
    judged_tests = Submission.objects.filter(survey=survey, is_test=True, status="completed")
    assert judged_tests.exclude(qc_verdict="").count() == tests.count("completed")
