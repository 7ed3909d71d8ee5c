import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from reports.access import FIELD_MANAGERS, VIEWERS
from reports.models import Assignment
from respondents.models import Submission, Verdict
from respondents.validation import submission_validate
from surveys.services import QuotaCellSpec, quota_cells_define

pytestmark = pytest.mark.django_db


def login(role: str | None, *surveys, superuser=False) -> Client:
    user = User.objects.create_user(
        f"u{User.objects.count()}", password="pw-123456", is_superuser=superuser
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    for survey in surveys:
        Assignment.objects.create(user=user, survey=survey)
    client = Client()
    client.force_login(user)
    return client


def simulate(survey, n=40, seed=1):
    call_command("simulate_fieldwork", survey.slug, "--respondents", str(n), "--seed", str(seed))
    for submission in Submission.objects.filter(survey=survey, status="completed"):
        submission_validate(submission.pk)


def test_the_dashboard_needs_a_login(demo):
    response = Client().get("/manage/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_field_manager_sees_only_the_assigned_survey(demo):
    client = login(FIELD_MANAGERS, demo["gt2024-kazakhstan"])
    page = client.get("/manage/").content.decode()
    assert "0 / 813" in page
    assert "1213" not in page and "1,213" not in page
    assert client.get("/manage/gt2024-kazakhstan/").status_code == 200
    assert client.get("/manage/gt2024-china/").status_code == 404
    assert client.get("/manage/gt2024-china/live/").status_code == 404
    assert client.get("/manage/gt2024-china/review/").status_code == 404
    assert (
        client.post("/manage/gt2024-china/review/decide/", {"verdict": "valid"}).status_code == 404
    )
    assert client.get("/manage/no-such-survey/").status_code == 404


def test_a_viewer_sees_the_dashboard_but_not_the_review_queue(demo):
    client = login(VIEWERS, demo["gt2024-kazakhstan"])
    assert client.get("/manage/gt2024-kazakhstan/").status_code == 200
    assert "Review queue" not in client.get("/manage/gt2024-kazakhstan/").content.decode()
    assert client.get("/manage/gt2024-kazakhstan/review/").status_code == 404
    assert client.post("/manage/gt2024-kazakhstan/review/decide/").status_code == 404


def test_a_user_without_a_role_sees_nothing(demo):
    client = login(None, demo["gt2024-kazakhstan"])
    assert client.get("/manage/gt2024-kazakhstan/").status_code == 404
    assert "No survey is assigned" in client.get("/manage/").content.decode()


def test_an_administrator_sees_every_survey(demo):
    client = login("Administrators")
    page = client.get("/manage/").content.decode()
    assert "0 / 813" in page and "0 / 1,213" in page
    assert client.get("/manage/gt2024-china/review/").status_code == 200


def test_the_survey_page_shows_cells_funnel_and_rules(demo):
    survey = demo["gt2024-kazakhstan"]
    simulate(survey)
    page = login(FIELD_MANAGERS, survey).get("/manage/gt2024-kazakhstan/").content.decode()
    assert page.count("data-cell=") == 17
    assert "город Алматы" in page or "Алматы қаласы" in page
    valid = Submission.objects.filter(survey=survey, verdict=Verdict.VALID).count()
    assert f"{valid} / 813" in page
    assert 'data-funnel="invited"' in page and 'data-funnel="over_quota"' in page
    assert "median interview" in page


def test_a_lagging_cell_is_highlighted(demo):
    survey = demo["gt2024-kazakhstan"]  # its fieldwork period (June 2024) is over
    page = login(FIELD_MANAGERS, survey).get("/manage/gt2024-kazakhstan/").content.decode()
    assert page.count('class="table-warning lagging"') == 17


@pytest.mark.parametrize("cells", [3, 40])
def test_the_survey_page_costs_the_same_queries_for_3_or_40_cells(
    demo, cells, django_assert_num_queries
):
    survey = demo["gt2024-kazakhstan"]
    quota_cells_define(
        survey,
        [
            QuotaCellSpec(f"cell-{i}", {"kk": f"{i}", "ru": f"{i}"}, "${age} > 0", 10)
            for i in range(cells)
        ],
    )
    simulate(survey, n=10)
    client = login(FIELD_MANAGERS, survey)
    client.get("/manage/gt2024-kazakhstan/")  # warms the cached median
    # counts, cells, days, rules, completes per mode, per interviewer, providers, e-mail waves
    with django_assert_num_queries(13):
        client.get("/manage/gt2024-kazakhstan/")


def test_the_review_queue_shows_flagged_answers_and_records_decisions(demo):
    survey = demo["gt2024-kazakhstan"]
    simulate(survey, n=60, seed=4)
    flagged = Submission.objects.filter(survey=survey, verdict=Verdict.INVALID)
    assert flagged.exists()
    client = login(FIELD_MANAGERS, survey)
    page = client.get("/manage/gt2024-kazakhstan/review/?rule=attention").content.decode()
    attention = flagged.filter(qc_results__attention__passed=False)
    for submission in attention:
        assert f'data-submission="{submission.pk}"' in page
    assert "Чтобы мы могли убедиться" in page or "Зейініңізді тексеру" in page
    chosen = attention.first()
    response = client.post(
        "/manage/gt2024-kazakhstan/review/decide/",
        {
            "submission": [chosen.pk],
            "verdict": "valid",
            "reason": "Read the instruction aloud; fine",
        },
    )
    assert response.status_code == 302
    chosen.refresh_from_db()
    assert chosen.verdict == Verdict.VALID
    assert chosen.overrides.get().reason == "Read the instruction aloud; fine"


def test_a_decision_without_a_reason_changes_nothing(demo):
    survey = demo["gt2024-kazakhstan"]
    simulate(survey, n=30, seed=4)
    flagged = Submission.objects.filter(survey=survey, verdict=Verdict.INVALID).first()
    client = login(FIELD_MANAGERS, survey)
    client.post(
        "/manage/gt2024-kazakhstan/review/decide/", {"submission": [flagged.pk], "verdict": "valid"}
    )
    flagged.refresh_from_db()
    assert flagged.verdict == Verdict.INVALID


def test_the_admin_survey_list_shows_sample_completion(demo, admin_client):
    simulate(demo["gt2024-kazakhstan"], n=20)
    valid = Submission.objects.filter(verdict=Verdict.VALID).count()
    page = admin_client.get("/admin/surveys/survey/").content.decode()
    assert f"{valid} / 813" in page and "0 / 1,213" in page


def test_demo_users_get_their_roles(demo, capsys, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    settings.DEBUG = True
    call_command("demo_users")
    out = capsys.readouterr().out
    assert "Field managers: manager /" in out and "Viewers: viewer /" in out
    manager = User.objects.get(username="manager")
    assert manager.has_perm("reports.review_submissions")
    assert not User.objects.get(username="viewer").has_perm("reports.review_submissions")
