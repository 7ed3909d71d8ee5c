import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from fieldwork.errors import Refused
from respondents import quality, tasks
from respondents.models import QuotaSlot, Submission, Verdict, VerdictOverride
from respondents.validation import (
    pending_submission_ids,
    submission_override,
    submission_validate,
)
from respondents.verdicts import CellFull
from surveys.models import QuotaCell, Survey
from surveys.services import survey_set_sample_target
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db

PROJECTS = [
    "proj_nelb",
    "proj_lianyungang",
    "proj_wewc",
    "proj_khorgos",
    "proj_cer",
    "proj_gas",
    "proj_oil",
    "proj_lrt",
    "proj_renewables",
    "proj_refinery",
]
ROLES = ["role_us", "role_russia", "role_china", "role_turkey", "role_germany"]


def attentive(**extra):
    """Answers a careful respondent gives: grids varied, the attention check right."""
    answers = {"attention": "4", "work_reason": "Высокая зарплата"}
    answers |= {row: "12"[i % 2] for i, row in enumerate(PROJECTS)}
    answers |= {row: "123"[i % 3] for i, row in enumerate(ROLES)}
    return answers | extra


def complete(survey, panel_id, region="astana", **answers) -> Submission:
    # Different people: the test client's address and browser are the same for all, so
    # the same age and sex would make them one person to the duplicate rule.
    age = 20 + sum(map(ord, panel_id)) % 50
    person = Respondent_(invite(survey, panel_id, region=region, age=age))
    person.finish("ru", **attentive(**answers))
    return person.submission


def cell(survey, name="astana") -> QuotaCell:
    return QuotaCell.objects.get(survey=survey, name=name)


def test_a_careful_respondent_is_valid_and_confirms_the_slot(kazakhstan):
    submission = complete(kazakhstan, "a")
    assert (cell(kazakhstan).reserved, cell(kazakhstan).confirmed) == (1, 0)
    submission = submission_validate(submission.pk)
    assert submission.verdict == Verdict.VALID
    assert all(result["passed"] for result in submission.qc_results.values())
    assert (cell(kazakhstan).reserved, cell(kazakhstan).confirmed) == (0, 1)
    assert QuotaSlot.objects.get(submission=submission).state == QuotaSlot.State.CONFIRMED


def test_a_failed_attention_check_is_invalid_and_releases_the_slot(kazakhstan):
    submission = submission_validate(complete(kazakhstan, "a", attention="1").pk)
    assert submission.verdict == Verdict.INVALID
    assert "attention" in submission.qc_results["attention"]["reason"]
    assert (cell(kazakhstan).reserved, cell(kazakhstan).released) == (0, 1)


def test_validating_twice_leaves_one_result_and_the_counts_unchanged(kazakhstan):
    submission = complete(kazakhstan, "a")
    first = submission_validate(submission.pk)
    again = submission_validate(submission.pk)
    assert again.validated == first.validated
    assert (cell(kazakhstan).confirmed, cell(kazakhstan).reserved) == (1, 0)


def test_an_invalid_verdict_reopens_a_full_cell(kazakhstan):
    QuotaCell.objects.filter(pk=cell(kazakhstan).pk).update(target=1)
    cheater = complete(kazakhstan, "a", attention="1")
    assert cell(kazakhstan).is_full
    late = Respondent_(invite(kazakhstan, "b", region="astana"))
    late.finish("ru", **attentive())
    assert late.submission.status == Submission.Status.OVER_QUOTA
    submission_validate(cheater.pk)
    assert not cell(kazakhstan).is_full
    third = complete(kazakhstan, "c")
    assert third.status == Submission.Status.COMPLETED


def test_the_same_person_twice_is_a_duplicate(kazakhstan):
    first = Respondent_(invite(kazakhstan, "a", region="astana", age=30, gender="male"))
    first.client.defaults.update(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Phone X")
    first.finish("ru", **attentive())
    second = Respondent_(invite(kazakhstan, "b", region="astana", age=30, gender="male"))
    second.client.defaults.update(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Phone X")
    second.finish("ru", **attentive())
    other = Respondent_(invite(kazakhstan, "c", region="astana", age=52, gender="female"))
    other.client.defaults.update(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Phone X")
    other.finish("ru", **attentive())
    for person in (first, second, other):
        submission_validate(person.submission.pk)
    assert first.submission.verdict == Verdict.VALID
    assert second.submission.verdict == Verdict.INVALID
    assert (
        f"submission {first.submission.pk}" in second.submission.qc_results["duplicate"]["reason"]
    )
    assert other.submission.verdict == Verdict.VALID  # same home, another person


def test_an_override_is_kept_with_its_reason_and_moves_the_counts(kazakhstan, admin_user):
    submission = submission_validate(complete(kazakhstan, "a", attention="1").pk)
    submission_override(
        submission, Verdict.VALID, "Misread the instruction; called back", admin_user
    )
    submission.refresh_from_db()
    assert submission.verdict == Verdict.VALID
    assert submission.qc_verdict == Verdict.INVALID
    override = VerdictOverride.objects.get()
    assert (override.previous, override.verdict, override.user) == ("invalid", "valid", admin_user)
    assert (cell(kazakhstan).confirmed, cell(kazakhstan).released) == (1, 0)
    # A re-run of the rules records their results but keeps the manager's verdict.
    assert submission_validate(submission.pk, force=True).verdict == Verdict.VALID


def test_an_override_without_a_reason_is_refused(kazakhstan):
    submission = submission_validate(complete(kazakhstan, "a").pk)
    with pytest.raises(Refused, match="reason"):
        submission_override(submission, Verdict.INVALID, "  ")


def test_overriding_to_valid_cannot_overfill_a_cell(kazakhstan):
    QuotaCell.objects.filter(pk=cell(kazakhstan).pk).update(target=1)
    rejected = submission_validate(complete(kazakhstan, "a", attention="1").pk)
    submission_validate(complete(kazakhstan, "b").pk)
    with pytest.raises(CellFull, match="full"):
        submission_override(rejected, Verdict.VALID, "looks fine to me")
    assert (cell(kazakhstan).confirmed, cell(kazakhstan).released) == (1, 1)
    assert not VerdictOverride.objects.exists()


def test_the_survey_closes_itself_when_its_target_is_confirmed(kazakhstan):
    Survey.objects.filter(pk=kazakhstan.pk).update(sample_target=2)
    submission_validate(complete(kazakhstan, "a").pk)
    assert Survey.objects.get(pk=kazakhstan.pk).status == Survey.Status.LIVE
    submission_validate(complete(kazakhstan, "b", region="shymkent").pk)
    assert Survey.objects.get(pk=kazakhstan.pk).status == Survey.Status.CLOSED


def test_completion_enqueues_validation_once_committed(
    kazakhstan, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.validate_submission, "delay", sent.append)
    person = Respondent_(invite(kazakhstan, "a", region="astana"))
    with django_capture_on_commit_callbacks(execute=True):
        person.finish("ru", **attentive())
    assert sent == [person.submission.pk]


def test_a_broker_that_is_down_loses_no_submission(
    kazakhstan, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(tasks.validate_submission, "delay", broker_down)
    person = Respondent_(invite(kazakhstan, "a", region="astana"))
    with django_capture_on_commit_callbacks(execute=True):
        response = person.finish("ru", **attentive())
    assert "Спасибо!" in response.content.decode()
    submission = person.submission
    assert (submission.status, submission.verdict) == ("completed", "pending")
    assert pending_submission_ids(older_than_seconds=0) == [submission.pk]


def test_the_sweeper_enqueues_what_waited_too_long(kazakhstan, monkeypatch, settings):
    submission = complete(kazakhstan, "a")
    sent = []
    monkeypatch.setattr(tasks.validate_submission, "delay", sent.append)
    settings.VALIDATION_GRACE_SECONDS = 3600
    assert tasks.sweep_pending() == 0
    settings.VALIDATION_GRACE_SECONDS = 60
    Submission.objects.filter(pk=submission.pk).update(
        ended=timezone.now() - timezone.timedelta(seconds=120)
    )
    assert tasks.sweep_pending() == 1
    assert sent == [submission.pk]
    # Sent once per grace period, however long the backlog lasts.
    assert tasks.sweep_pending() == 0


def test_revalidate_reruns_changed_rules_and_moves_the_counts(kazakhstan, capsys, monkeypatch):
    for panel_id in ("a", "b"):
        submission_validate(complete(kazakhstan, panel_id).pk)
    assert cell(kazakhstan).confirmed == 2

    # The rules change: a new one that this survey's answers all fail.
    def never_first_on_sco(case):
        return quality.Result(case.answers.get("sco_support") != "1", "sco_support is 1")

    stricter = (*quality.RULES, quality.Rule("sco", 1, never_first_on_sco))
    monkeypatch.setattr(quality, "RULES", stricter)
    call_command("revalidate", "gt2024-kazakhstan")
    assert "revalidated 2: 2 invalid" in capsys.readouterr().out
    assert (cell(kazakhstan).confirmed, cell(kazakhstan).released) == (0, 2)
    assert Submission.objects.filter(verdict=Verdict.INVALID).count() == 2


def test_quota_status_prints_a_table_and_json(kazakhstan, capsys):
    submission_validate(complete(kazakhstan, "a").pk)
    complete(kazakhstan, "b")
    call_command("quota_status", "gt2024-kazakhstan")
    table = capsys.readouterr().out
    astana = next(line for line in table.splitlines() if line.startswith("astana"))
    assert astana.split() == ["astana", str(cell(kazakhstan).target), "1", "1", "0", "open"]
    call_command("quota_status", "gt2024-kazakhstan", "--json")
    data = json.loads(capsys.readouterr().out)
    row = next(c for c in data["cells"] if c["cell"] == "astana")
    assert (row["confirmed"], row["reserved"], row["state"]) == (1, 1, "open")
    assert len(data["cells"]) == 17


def test_a_manager_overrides_in_the_admin_with_a_reason(kazakhstan, admin_client):
    submission = submission_validate(complete(kazakhstan, "a", attention="1").pk)
    url = "/admin/respondents/submission/"
    chosen = {"action": "override_verdict", "_selected_action": [submission.pk]}
    form_page = admin_client.post(url, chosen)
    assert "Reason" in form_page.content.decode()
    admin_client.post(url, {**chosen, "apply": "1", "verdict": "valid", "reason": "Called back"})
    submission.refresh_from_db()
    assert submission.verdict == Verdict.VALID
    assert VerdictOverride.objects.get().reason == "Called back"


def test_the_survey_admin_action_reruns_quality_control(kazakhstan, admin_client, monkeypatch):
    submission = complete(kazakhstan, "a")
    sent = []
    monkeypatch.setattr(tasks.validate_submission, "delay", lambda *a, **k: sent.append((a, k)))
    admin_client.post(
        "/admin/surveys/survey/", {"action": "revalidate", "_selected_action": [kazakhstan.pk]}
    )
    assert sent == [((submission.pk,), {"force": True})]


def test_simulated_fieldwork_goes_through_quotas_and_quality_control(kazakhstan, capsys):
    QuotaCell.objects.filter(survey=kazakhstan).update(target=2)
    call_command("simulate_fieldwork", "gt2024-kazakhstan", "--respondents", "60", "--seed", "3")
    out = capsys.readouterr().out
    assert "60 respondents" in out
    submissions = Submission.objects.filter(survey=kazakhstan)
    assert submissions.count() == 60
    assert submissions.filter(status=Submission.Status.OVER_QUOTA).exists()
    for quota in QuotaCell.objects.filter(survey=kazakhstan):
        assert quota.reserved + quota.confirmed <= quota.target, quota.name
        assert quota.reserved + quota.confirmed + quota.released == quota.slots.count()
    for submission in submissions.filter(status=Submission.Status.COMPLETED):
        submission_validate(submission.pk)
    assert submissions.filter(verdict=Verdict.VALID).exists()


def test_the_kept_counts_agree_with_a_recount(kazakhstan, admin_user):
    from respondents.models import DailyStats, RuleStats, SurveyStats
    from respondents.stats import recount

    QuotaCell.objects.filter(survey=kazakhstan).update(target=3)
    call_command("simulate_fieldwork", "gt2024-kazakhstan", "--respondents", "50", "--seed", "9")
    for submission in Submission.objects.filter(status=Submission.Status.COMPLETED):
        submission_validate(submission.pk)
    accepted = Submission.objects.filter(verdict=Verdict.VALID).first()
    submission_override(accepted, Verdict.INVALID, "same household, called back", admin_user)
    kept = SurveyStats.objects.filter(survey=kazakhstan).values().get()
    kept_days = list(
        DailyStats.objects.filter(survey=kazakhstan).values("day", "completed", "valid")
    )
    kept_rules = dict(RuleStats.objects.filter(survey=kazakhstan).values_list("rule", "failed"))
    recount(kazakhstan)
    rebuilt = SurveyStats.objects.filter(survey=kazakhstan).values().get()
    assert {k: v for k, v in kept.items() if k != "seconds_total"} == {
        k: v for k, v in rebuilt.items() if k != "seconds_total"
    }
    assert kept["seconds_total"] == pytest.approx(rebuilt["seconds_total"])
    assert kept["invited"] == 50 and kept["started"] == 50
    assert kept_days == list(
        DailyStats.objects.filter(survey=kazakhstan).values("day", "completed", "valid")
    )
    assert {r: n for r, n in kept_rules.items() if n} == dict(
        RuleStats.objects.filter(survey=kazakhstan, failed__gt=0).values_list("rule", "failed")
    )


def test_every_verdict_keeps_the_cells_in_step_with_the_slots_and_closes_at_the_target(
    kazakhstan, admin_user
):
    """First verdicts, re-validations and overrides, all through `respondents.verdicts`."""
    from respondents.models import SurveyStats

    QuotaCell.objects.filter(survey=kazakhstan).update(target=3)
    call_command("simulate_fieldwork", "gt2024-kazakhstan", "--respondents", "60", "--seed", "5")
    kazakhstan.refresh_from_db()
    kazakhstan.sample_target = 12  # reached on the way: the survey closes itself
    kazakhstan.save(update_fields=["sample_target"])
    completed = Submission.objects.filter(survey=kazakhstan, status=Submission.Status.COMPLETED)
    for pk in completed.order_by("ended").values_list("pk", flat=True):
        submission_validate(pk)
    assert Survey.objects.get(pk=kazakhstan.pk).status == Survey.Status.CLOSED
    invalid = completed.filter(verdict=Verdict.INVALID).first()
    valid = completed.filter(verdict=Verdict.VALID).first()
    submission_override(invalid, Verdict.VALID, "called back: a real interview", admin_user)
    submission_override(valid, Verdict.INVALID, "same household", admin_user)
    for pk in completed.values_list("pk", flat=True)[:20]:
        submission_validate(pk, force=True)

    assert {verdict for verdict in completed.values_list("verdict", flat=True)} == {
        Verdict.VALID,
        Verdict.INVALID,
    }
    for quota in QuotaCell.objects.filter(survey=kazakhstan):
        states = list(quota.slots.values_list("state", flat=True))
        assert (quota.reserved, quota.confirmed, quota.released) == (
            states.count(QuotaSlot.State.RESERVED),
            states.count(QuotaSlot.State.CONFIRMED),
            states.count(QuotaSlot.State.RELEASED),
        ), quota.name
    for submission in completed:
        wanted = {Verdict.VALID: "confirmed", Verdict.INVALID: "released"}[submission.verdict]
        assert set(submission.slots.values_list("state", flat=True)) <= {wanted}
    kept = SurveyStats.objects.get(survey=kazakhstan)
    assert kept.valid == completed.filter(verdict=Verdict.VALID).count()
    assert kept.invalid == completed.filter(verdict=Verdict.INVALID).count()
    assert Submission.objects.get(pk=invalid.pk).verdict == Verdict.VALID  # override holds


def test_a_validation_writes_in_one_round_trip_on_postgresql(kazakhstan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs the statements one by one (CI's second pass runs this)")
    first, second = complete(kazakhstan, "a"), complete(kazakhstan, "b")
    submission_validate(first.pk)  # the survey's version is now kept by this process
    with CaptureQueriesContext(connection) as queries:
        submission_validate(second.pk)
    statements = [q["sql"].strip() for q in queries if "SAVEPOINT" not in q["sql"]]
    # The submission's read, its slots' read, then every write at once; each statement
    # was planned by the first validation of this session, so only EXECUTEs go.
    assert len(statements) == 3, [sql[:60] for sql in statements]
    assert not any("PREPARE" in sql for sql in statements)
    assert statements[-1].count("EXECUTE") >= 4
    second.refresh_from_db()
    state = {Verdict.VALID: "confirmed", Verdict.INVALID: "released"}[second.verdict]
    assert set(second.slots.values_list("state", flat=True)) == {state}


def test_a_reservation_released_before_validation_is_taken_again_when_there_is_room(kazakhstan):
    submission = complete(kazakhstan, "a")
    QuotaSlot.objects.filter(submission=submission).update(state=QuotaSlot.State.RELEASED)
    QuotaCell.objects.filter(pk=cell(kazakhstan).pk).update(reserved=0, released=1)
    submission = submission_validate(submission.pk)
    assert submission.verdict == Verdict.VALID
    assert (cell(kazakhstan).reserved, cell(kazakhstan).confirmed, cell(kazakhstan).released) == (
        0,
        1,
        0,
    )


def test_a_changed_survey_reaches_the_next_validation(kazakhstan):
    # Each worker keeps what it read of a survey version; a new target is a new version.
    submission_validate(complete(kazakhstan, "a").pk)
    kazakhstan.refresh_from_db()
    survey_set_sample_target(kazakhstan, 2)
    submission_validate(complete(kazakhstan, "b").pk)
    kazakhstan.refresh_from_db()
    assert kazakhstan.status == Survey.Status.CLOSED
