"""Test links: the whole pipeline, counted nowhere (issue 17, item 3; ADR 0026)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from fieldwork.errors import Refused
from reports import export_jobs
from respondents import stats
from respondents.models import QuotaSlot, Respondent, Submission, SurveyStats, Verdict
from respondents.selectors import submissions_matching
from respondents.testmode import counts_of, data_discard, links_make
from respondents.validation import submission_override, submission_validate
from surveys.errors import SurveyError
from surveys.models import QuotaCell, Survey
from surveys.services import survey_set_status
from tests.respondents.conftest import Respondent_, invite
from tests.respondents.test_validation import attentive, complete

pytestmark = pytest.mark.django_db


def counts(survey):
    row = SurveyStats.objects.filter(survey=survey).first()
    funnel = (
        (row.invited, row.started, row.completed, row.valid, row.invalid, row.over_quota)
        if row
        else None
    )
    cells = list(
        QuotaCell.objects.filter(survey=survey)
        .order_by("pk")
        .values_list("reserved", "confirmed", "released")
    )
    return funnel, cells, list(survey.daily_stats.values_list("day", "completed", "valid"))


def new_tester(survey) -> Respondent_:
    (respondent,) = links_make(survey, 1)
    return Respondent_(respondent)


def take(survey, name):
    """What a test respondent answers to fall into cell `name` (known answers are none)."""
    return attentive(region=name, age=41)


def test_a_completed_test_moves_no_count_and_takes_no_place(kazakhstan):
    complete(kazakhstan, "real-1")
    before = counts(kazakhstan)
    tester = new_tester(kazakhstan)
    response = tester.finish("ru", **take(kazakhstan, "astana"))
    assert "Спасибо" in response.content.decode()  # the respondent's thank-you page
    submission = tester.submission
    assert (submission.status, submission.is_test) == (Submission.Status.COMPLETED, True)
    assert not QuotaSlot.objects.filter(submission=submission).exists()
    assert counts(kazakhstan) == before


def test_quality_control_judges_a_test_and_the_counts_stay(kazakhstan):
    tester = new_tester(kazakhstan)
    tester.finish("ru", **take(kazakhstan, "astana"))
    before = counts(kazakhstan)
    judged = submission_validate(tester.submission.pk)
    assert judged.verdict == Verdict.VALID
    assert set(judged.qc_results) >= {"speeder", "attention", "straightliner"}
    assert counts(kazakhstan) == before
    submission_override(judged, Verdict.INVALID, "checking the override on a test")
    assert counts(kazakhstan) == before


def test_a_test_falls_over_quota_where_a_respondent_would(kazakhstan):
    astana = QuotaCell.objects.get(survey=kazakhstan, name="astana")
    QuotaCell.objects.filter(pk=astana.pk).update(target=1)
    complete(kazakhstan, "real-1")  # the one place, reserved
    before = counts(kazakhstan)
    tester = new_tester(kazakhstan)
    response = tester.finish("ru", **take(kazakhstan, "astana"))
    assert tester.submission.status == Submission.Status.OVER_QUOTA
    assert "over_quota" in response.content.decode()
    assert counts(kazakhstan) == before


def test_the_sample_target_is_not_reached_by_tests(kazakhstan):
    survey_set_status(kazakhstan, Survey.Status.LIVE)
    Survey.objects.filter(pk=kazakhstan.pk).update(sample_target=1)
    kazakhstan.refresh_from_db()
    tester = new_tester(kazakhstan)
    tester.finish("ru", **take(kazakhstan, "astana"))
    submission_validate(tester.submission.pk)
    kazakhstan.refresh_from_db()
    assert kazakhstan.status == Survey.Status.LIVE


def test_recounting_leaves_tests_out(kazakhstan):
    complete(kazakhstan, "real-1")
    new_tester(kazakhstan).finish("ru", **take(kazakhstan, "almaty_city"))
    kept = counts(kazakhstan)
    stats.recount(kazakhstan)
    assert counts(kazakhstan) == kept


def test_exports_hold_tests_only_when_asked(kazakhstan):
    real = complete(kazakhstan, "real-1")
    tester = new_tester(kazakhstan)
    tester.finish("ru", **take(kazakhstan, "astana"))
    for pk in (real.pk, tester.submission.pk):
        submission_validate(pk)
    plain = export_jobs.export_options_clean(kazakhstan, "csv", {})
    text = "".join(export_jobs.export_stream(kazakhstan, plain))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["submission_id"] for row in rows] == [str(real.pk)]
    assert "test" not in rows[0]
    asked = export_jobs.export_options_clean(kazakhstan, "csv", {"include_test": True})
    rows = list(csv.DictReader(io.StringIO("".join(export_jobs.export_stream(kazakhstan, asked)))))
    assert {(row["submission_id"], row["test"]) for row in rows} == {
        (str(real.pk), "0"),
        (str(tester.submission.pk), "1"),
    }
    assert export_jobs.export_row_count(kazakhstan, asked) == 2
    assert list(submissions_matching(kazakhstan, valid_only=True).values_list("pk", flat=True)) == [
        real.pk
    ]
    assert submissions_matching(kazakhstan, valid_only=True).count() == 1


def test_an_export_option_that_is_not_a_boolean_is_refused(kazakhstan):
    with pytest.raises(Refused) as refused:
        export_jobs.export_options_clean(kazakhstan, "csv", {"include_test": "yes"})
    assert "include_test must be true or false." in refused.value.errors


def test_discarding_deletes_every_test_in_one_go_and_nothing_real(kazakhstan, django_user_model):
    real = complete(kazakhstan, "real-1")
    for _n in range(2):
        new_tester(kazakhstan).finish("ru", **take(kazakhstan, "astana"))
    links_make(kazakhstan, 3)  # never opened
    before = counts(kazakhstan)
    assert counts_of(kazakhstan) == {"links": 5, "started": 2, "completed": 2, "valid": 0}
    boss = django_user_model.objects.create_user("boss")
    with CaptureQueriesContext(connection):
        gone = data_discard(kazakhstan, user=boss)
    assert gone == {"links": 5, "submissions": 2}
    assert not Respondent.objects.filter(source=Respondent.Source.TEST).exists()
    assert list(Submission.objects.values_list("pk", flat=True)) == [real.pk]
    assert counts(kazakhstan) == before
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TEST_DATA_DISCARD)
    assert (entry.actor, entry.details) == ("boss", {"links": 5, "submissions": 2})


def test_a_test_link_answers_a_draft_but_a_panel_link_does_not(kazakhstan):
    survey_set_status(kazakhstan, Survey.Status.DRAFT)
    tester = new_tester(kazakhstan)
    response = tester.start("ru")
    assert response.status_code == 200 and tester.submission.is_test
    panel = Respondent.objects.filter(survey=kazakhstan, source=Respondent.Source.PANEL)
    person = Respondent_(invite(kazakhstan, "draft-1", region="astana", age=30))
    assert person.client.get(f"/s/{person.token}/").status_code == 404
    assert panel.count() == 1


def test_a_closed_survey_takes_no_test_links(kazakhstan):
    survey_set_status(kazakhstan, Survey.Status.CLOSED)
    with pytest.raises(SurveyError) as refused:
        links_make(kazakhstan, 1)
    assert refused.value.errors == [
        "The survey is closed: it takes no more answers, test ones included."
    ]
    with pytest.raises(SurveyError):
        links_make(Survey.objects.get(slug="gt2024-china"), 51)


def test_a_webhook_hears_that_a_submission_is_a_test(kazakhstan):
    from integrations.webhooks import payload_of

    tester = new_tester(kazakhstan)
    tester.finish("ru", **take(kazakhstan, "astana"))
    assert payload_of(tester.submission, "valid", "x")["test"] is True
    real = complete(kazakhstan, "real-1")
    assert payload_of(real, "valid", "y")["test"] is False


def test_a_real_respondent_is_not_a_duplicate_of_a_test_from_the_same_browser(kazakhstan):
    # The same client (address, browser) and the same age and region as the test.
    tester = new_tester(kazakhstan)
    tester.finish("ru", **attentive(region="astana", age=41))
    submission_validate(tester.submission.pk)
    person = Respondent_(invite(kazakhstan, "real-1", region="astana", age=41), tester.client)
    person.finish("ru", **attentive())
    assert person.submission.status == Submission.Status.COMPLETED, person.submission.status
    judged = submission_validate(person.submission.pk)
    assert judged.qc_results["duplicate"]["passed"] is True


def test_the_export_command_adds_tests_only_with_include_test(kazakhstan, tmp_path):
    from django.core.management import call_command

    real = complete(kazakhstan, "real-1")
    tester = new_tester(kazakhstan)
    tester.finish("ru", **take(kazakhstan, "astana"))
    for flags, expected in (([], {str(real.pk)}), (["--include-test"], None)):
        out = tmp_path / f"export{len(flags)}.csv"
        call_command(
            "export", "gt2024-kazakhstan", "--format", "csv", "--output", str(out), "--all", *flags
        )
        with open(out, encoding="utf-8") as file:
            ids = {row["submission_id"] for row in csv.DictReader(file)}
        assert ids == (expected or {str(real.pk), str(tester.submission.pk)})
