"""The XLSForm features real forms use (issue 16.1), each walked through the web form and
the API's ingestion, and read back from the exports: metadata filled by the server,
calculations (shown in a label), times, dates and times, cascading selects and repeats."""

import csv
import datetime
import zipfile

import pyreadstat
import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from reports.exports import export_build
from respondents.models import Submission
from surveys.services import survey_import_xlsform
from tests.api.conftest import client_for, user_with
from tests.conftest import go_live
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db
EN = "label::English (en)"

ROWS = [
    {"type": "start", "name": "started_at"},
    {"type": "end", "name": "ended_at"},
    {"type": "today", "name": "day"},
    {"type": "deviceid", "name": "device"},
    {"type": "username", "name": "user"},
    {"type": "begin group", "name": "where", EN: "Where you live"},
    {"type": "select_one region", "name": "region", EN: "Region", "required": "yes"},
    {
        "type": "select_one district",
        "name": "district",
        EN: "District",
        "required": "yes",
        "choice_filter": "region = ${region}",
    },
    {
        "type": "select_one village",
        "name": "village",
        EN: "Village",
        "choice_filter": "district = ${district}",
    },
    {"type": "end group"},
    {"type": "begin group", "name": "when", EN: "Times"},
    {"type": "time", "name": "wake", EN: "When did you wake up?"},
    {"type": "dateTime", "name": "visit", EN: "When may we visit again?"},
    {"type": "end group"},
    {"type": "begin group", "name": "household", EN: "Your household"},
    {"type": "begin repeat", "name": "members", EN: "Household members"},
    {"type": "text", "name": "mname", EN: "Name", "required": "yes"},
    {"type": "integer", "name": "mage", EN: "Age", "constraint": ". < 130"},
    {"type": "select_one yn", "name": "works", EN: "Works?", "relevant": "${mage} >= 16"},
    {"type": "end repeat"},
    {"type": "end group"},
    {"type": "calculate", "name": "size", "calculation": "count(${members})"},
    {"type": "begin group", "name": "about", EN: "About them"},
    {"type": "note", "name": "told", EN: "You told us about ${size} people in ${region}."},
    {
        "type": "select_one yn",
        "name": "crowded",
        EN: "Is it crowded?",
        "relevant": "${size} > 2",
        "required": "yes",
    },
    {"type": "text", "name": "remark", EN: "Anything else?"},
    {"type": "end group"},
]
CHOICES = [
    {"list_name": "region", "name": "north", EN: "North"},
    {"list_name": "region", "name": "south", EN: "South"},
    {"list_name": "district", "name": "n1", EN: "North One", "region": "north"},
    {"list_name": "district", "name": "s1", EN: "South One", "region": "south"},
    {"list_name": "district", "name": "s2", EN: "South Two", "region": "south"},
    {"list_name": "village", "name": "v1", EN: "Village A", "district": "s1"},
    {"list_name": "village", "name": "v2", EN: "Village B", "district": "s2"},
    {"list_name": "yn", "name": "yes", EN: "Yes"},
    {"list_name": "yn", "name": "no", EN: "No"},
]
SETTINGS = {"form_title::English (en)": "Household"}
URL = "/api/v1/surveys/household/submissions/"


@pytest.fixture
def survey(make_form):
    survey = survey_import_xlsform(make_form(ROWS, CHOICES, SETTINGS), "household").survey
    return go_live(survey)


@pytest.fixture
def api(survey):
    return client_for(user_with("Field managers", survey, name="collector"))


def post(person: Respondent_, page: str, data: dict):
    return person.client.post(f"/s/{person.token}/p/{page}/", {"next": "1", **data}, follow=True)


def web_interview(survey, panel_id="web-1", **pages):
    """Start a respondent on the web and post each page's data in order."""
    person = Respondent_(invite(survey, panel_id), Client(HTTP_USER_AGENT="Firefox/140"))
    response = person.start("en")
    for page, data in pages.items():
        assert person.current_page(response) == page, response.redirect_chain
        response = post(person, page, data)
    return person, response


WEB_PAGES = {
    "where": {"region": "south", "district": "s2", "village": "v2"},
    "when": {"wake": "07:30", "visit": "2024-06-12T18:00"},
    "household": {
        "members": ["0", "1", "2"],
        "members.0.mname": "Aigerim",
        "members.0.mage": "41",
        "members.0.works": "yes",
        "members.1.mname": "Timur",
        "members.1.mage": "9",
        "members.1.works": "yes",  # hidden: he is under 16, so it is dropped
        # entry 2 is left blank: no entry
    },
    "about": {"remark": ""},
}
API_ANSWERS = {
    "region": "north",
    "district": "n1",
    "wake": "06:05",
    "visit": "2024-06-13T09:15",
    "members": [
        {"mname": "Dana", "mage": 30, "works": "no"},
        {"mname": "Erlan", "mage": 33},
        {"mname": "Sofia", "mage": 2},
    ],
    "crowded": "yes",
}


def send(client, answers, key="k-1", **body):
    payload = {"language": "en", "answers": answers, **body}
    return client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_web_respondent_answers_every_feature_and_the_server_fills_the_rest(survey):
    before = timezone.now().replace(microsecond=0)
    person, response = web_interview(survey, **WEB_PAGES)
    assert response.status_code == 200
    submission = person.submission
    assert submission.status == Submission.Status.COMPLETED
    answers = submission.answers
    # Metadata: filled by the server, not asked.
    assert datetime.datetime.fromisoformat(answers["started_at"]) >= before
    assert datetime.datetime.fromisoformat(answers["ended_at"]) >= datetime.datetime.fromisoformat(
        answers["started_at"]
    )
    assert answers["day"] == timezone.localdate().isoformat()
    assert answers["device"].startswith("web:") and len(answers["device"]) == 20
    assert answers["user"] == "web-1"
    # Times as typed; the roster's blank entry is no entry, a hidden answer is dropped.
    assert answers["wake"] == "07:30:00"
    assert answers["visit"] == "2024-06-12T18:00:00"
    assert answers["members"] == [
        {"mname": "Aigerim", "mage": 41, "works": "yes"},
        {"mname": "Timur", "mage": 9},
    ]
    # The calculation counts them; skip logic reads it (two people: not asked if crowded).
    assert answers["size"] == 2
    assert "crowded" not in answers


def test_a_calculation_is_shown_in_a_later_label(survey):
    pages = dict(WEB_PAGES)
    del pages["about"]
    person, response = web_interview(survey, **pages)
    assert person.current_page(response) == "about"
    page = response.content.decode()
    assert "You told us about 2 people in South." in page
    assert "Is it crowded?" in page  # present, hidden: size is not above 2
    assert 'data-question="crowded" data-relevant=' in page


def test_a_district_outside_the_region_is_refused_and_the_browser_gets_the_filter(survey):
    person = Respondent_(invite(survey, "web-2"))
    response = person.start("en")
    page = response.content.decode()
    assert "data-choice-filter=" in page and "data-choice-rows=" in page
    response = post(person, "where", {"region": "north", "district": "s1"})
    assert person.current_page(response) is None  # refused: shown again
    assert "This choice is not offered given the answers before it." in response.content.decode()
    assert person.submission.answers.get("district") is None
    response = post(person, "where", {"region": "north", "district": "n1"})
    assert person.current_page(response) == "when"


def test_a_roster_entry_is_checked_like_a_page(survey):
    person, response = web_interview(survey, where=WEB_PAGES["where"], when={})
    assert person.current_page(response) == "household"
    response = post(
        person,
        "household",
        {
            "members": ["0", "1"],
            "members.0.mage": "30",
            "members.1.mname": "Ok",
            "members.1.mage": "200",
        },
    )
    page = response.content.decode()
    assert "Please answer this question." in page  # entry 1 has an age but no name
    assert "This answer is not accepted." in page  # 200 fails the constraint
    assert "members" not in person.submission.answers
    # The page shows the entries posted, with the add button and the entry template.
    assert page.count('name="members"') >= 3  # two entries and the template's
    assert "data-repeat-add" in page and "<template data-entry-template>" in page


def test_the_api_takes_entries_and_reports_a_wrong_one_by_its_path(survey, api):
    started = timezone.now() - datetime.timedelta(minutes=20)
    ended = started + datetime.timedelta(minutes=15)
    response = send(
        api,
        API_ANSWERS,
        started=started.isoformat(),
        ended=ended.isoformat(),
        device_id="tablet-42",
        panel_id="tab-1",
    )
    assert response.status_code == 201, response.json()
    submission = Submission.objects.get(pk=response.json()["id"])
    answers = submission.answers
    assert answers["members"] == [
        {"mname": "Dana", "mage": 30, "works": "no"},
        {"mname": "Erlan", "mage": 33},
        {"mname": "Sofia", "mage": 2},
    ]
    assert answers["size"] == 3 and answers["crowded"] == "yes"
    assert answers["wake"] == "06:05:00" and answers["visit"] == "2024-06-13T09:15:00"
    assert answers["device"] == "tablet-42" and answers["user"] == "collector"
    assert datetime.datetime.fromisoformat(answers["started_at"]) == started.replace(microsecond=0)
    assert datetime.datetime.fromisoformat(answers["ended_at"]) == ended.replace(microsecond=0)
    assert answers["day"] == timezone.localdate(started).isoformat()

    wrong = dict(API_ANSWERS, members=[{"mname": "A", "mage": "x"}, {"mage": 40}], size=3)
    wrong["district"] = "s1"
    body = send(api, wrong, key="k-2").json()
    errors = body["errors"]
    assert "answers.members.0.mage" in errors  # not an integer
    assert "answers.size" in errors  # filled by the server
    body = send(api, dict(API_ANSWERS, members=[{"mage": 40}]), key="k-3").json()
    assert body["errors"]["answers.members.0.mname"] == ["Please answer this question."]
    body = send(api, dict(API_ANSWERS, district="s1"), key="k-4").json()
    assert body["errors"]["answers.district"] == [
        "This choice is not offered given the answers before it."
    ]


@pytest.fixture
def collected(survey, api, eager_tasks):
    web_interview(survey, **WEB_PAGES)
    started = timezone.now() - datetime.timedelta(minutes=20)
    response = send(
        api,
        API_ANSWERS,
        started=started.isoformat(),
        ended=(started + datetime.timedelta(minutes=15)).isoformat(),
    )
    assert response.status_code == 201, response.json()
    return survey


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_csv_export_has_the_roster_in_its_own_long_file(collected, tmp_path):
    path = tmp_path / "data.csv"
    assert export_build(collected, "csv", path, valid_only=False) == 2
    rows = read_csv(path)
    web, api = rows
    assert web["size"] == "2" and api["size"] == "3"
    assert web["members"] == "2" and api["members"] == "3"  # number of entries
    assert web["wake"] == "07:30:00" and web["visit"] == "2024-06-12T18:00:00"
    assert web["district"] == "3" and api["district"] == "1"  # codes, in list order
    assert web["user"] == "web-1" and api["user"] == "collector"
    assert web["started_at"] and web["ended_at"] and web["day"]
    entries = read_csv(tmp_path / "data-members.csv")
    assert [(e["submission_id"], e["entry"], e["mname"], e["mage"]) for e in entries] == [
        (web["submission_id"], "1", "Aigerim", "41"),
        (web["submission_id"], "2", "Timur", "9"),
        (api["submission_id"], "1", "Dana", "30"),
        (api["submission_id"], "2", "Erlan", "33"),
        (api["submission_id"], "3", "Sofia", "2"),
    ]
    assert [e["works"] for e in entries] == ["1", "", "2", "", ""]


def test_the_xlsx_export_has_a_sheet_per_repeat(collected, tmp_path):
    path = tmp_path / "data.xlsx"
    export_build(collected, "xlsx", path, valid_only=False, labels=True)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["data", "members"]
    rows = list(book["members"].values)
    assert rows[0] == ("submission_id", "entry", "mname", "mage", "works")
    assert rows[1][2:] == ("Aigerim", 41, "Yes")
    assert len(rows) == 6


def test_the_sav_export_writes_the_roster_as_a_second_file(collected, tmp_path):
    path = tmp_path / "data.sav"
    export_build(collected, "sav", path, valid_only=False)
    frame, meta = pyreadstat.read_sav(str(tmp_path / "data-members.sav"), user_missing=True)
    assert list(frame.columns) == ["submission_id", "entry", "mname", "mage", "works"]
    assert list(frame["mage"]) == [41, 9, 30, 33, 2]
    assert meta.variable_value_labels["works"][1] == "Yes"
    assert meta.column_names_to_labels["mage"] == "Age"
    # Timur (9) was not asked whether he works: the missing code says so.
    assert frame["works"][1] == -99
    main, _meta = pyreadstat.read_sav(str(path))
    assert list(main["members"]) == [2, 3]


def test_the_codebook_has_a_section_for_the_roster(collected, tmp_path):
    path = tmp_path / "codebook.html"
    export_build(collected, "codebook", path, valid_only=False)
    text = path.read_text()
    assert "<h2 id='repeat-members'>Household members (members)</h2>" in text
    section = text.split("<h2 id='repeat-members'>")[1]
    assert "mage" in section and "asked 5: answered 5" in section
    assert "asked 3: answered 2, skipped 1; not asked 2" in section  # works: 16 and over


def test_an_export_job_of_a_dataset_with_repeats_is_a_zip_of_its_files(collected, tmp_path):
    from reports.export_jobs import export_file, export_run, export_start

    user = user_with("Field managers", collected, name="exporter")
    job = export_start(user, collected, "csv", {"valid_only": False})
    job = export_run(job.pk)
    assert job.status == "done", job.error
    ready = export_file(job)
    assert ready.content_type == "application/zip"
    assert ready.filename.startswith("household-")
    target = tmp_path / "download.zip"
    with ready.file as handle:
        target.write_bytes(handle.read())
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        stamp = job.created.astimezone(timezone.get_current_timezone()).strftime("%Y%m%d-%H%M")
        assert names == [f"household-{stamp}-members.csv", f"household-{stamp}.csv"]
        assert archive.read(names[0]).decode().startswith("submission_id,entry,mname,mage,works")


def test_a_choice_no_longer_offered_is_dropped_when_answers_are_stored(survey):
    from respondents.flow import Walk, discard_hidden
    from surveys.questionnaire import questionnaire_of

    questionnaire = questionnaire_of(survey)
    stored = {"region": "north", "district": "s2", "village": "v2", "wake": "07:30:00"}
    kept = discard_hidden(questionnaire, stored, {})
    # South Two is not a district of the north, so Village B (of South Two) goes with it.
    assert kept == {"region": "north", "wake": "07:30:00", "size": 0}  # nobody listed yet
    walk = Walk.of(questionnaire, kept, {})
    assert walk.resume(["where", "when"]).name == "where"  # the district is required


def test_the_simulation_answers_a_form_with_these_features(survey, eager_tasks):
    from django.core.management import call_command

    call_command("simulate_fieldwork", "household", respondents=6, seed=3)
    submissions = Submission.objects.filter(survey=survey)
    assert submissions.count() == 6
    for submission in submissions:
        answers = submission.answers
        assert answers["district"] in {"n1"} | (
            {"s1", "s2"} if answers["region"] == "south" else set()
        )
        assert answers["members"] == [] and answers["size"] == 0
        assert answers["user"].startswith("sim-") and answers["day"]
