"""The questionnaire pages of /manage/: upload, import report, download, publish, copy."""

import datetime
import html
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from reports.access import ADMINISTRATORS, FIELD_MANAGERS
from reports.models import Assignment
from respondents.models import Respondent, Submission
from surveys import limits
from surveys.models import QuotaCell, Survey, WeightingScheme
from surveys.services import QuotaCellSpec, quota_cells_define
from tests import bilingual_form
from tests.conftest import go_live, table_counts

pytestmark = pytest.mark.django_db


def login(role: str, *surveys) -> Client:
    user = User.objects.create_user(f"u{User.objects.count()}", password="pw-123456")
    user.groups.add(Group.objects.get(name=role))
    for survey in surveys:
        Assignment.objects.create(user=user, survey=survey)
    client = Client()
    client.force_login(user)
    return client


def upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def create(client, make_form, slug="china", **options):
    path = bilingual_form.write(make_form, **options)
    return client.post("/manage/surveys/new/", {"slug": slug, "file": upload(path)})


def design(survey, *, target=10, start=True):
    """Give the draft what going live needs besides its questionnaire."""
    quota_cells_define(
        survey,
        [
            QuotaCellSpec("astana", {"kk": "Астана", "ru": "Астана"}, "${region} = 'astana'", 6),
            QuotaCellSpec("almaty", {"kk": "Алматы", "ru": "Алматы"}, "${region} = 'almaty'", 4),
        ],
    )
    Survey.objects.filter(pk=survey.pk).update(
        sample_target=target,
        fieldwork_start=datetime.date(2026, 6, 10) if start else None,
        fieldwork_end=datetime.date(2026, 6, 24),
    )


def test_an_administrator_creates_a_survey_by_uploading_its_form(make_form):
    response = create(login(ADMINISTRATORS), make_form)
    assert response.status_code == 200
    assert 'data-import="created"' in response.content.decode()
    survey = Survey.objects.get(slug="china")
    assert survey.status == Survey.Status.DRAFT
    assert survey.languages == ["kk", "ru"]
    assert survey.questions.count() == 5


def test_a_form_with_a_mistake_is_reported_with_its_sheet_row_and_column_and_writes_nothing(
    make_form,
):
    client = login(ADMINISTRATORS)
    before = table_counts()
    response = create(client, make_form, broken=True)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-import="refused"' in page
    # The row of the follow-up's group, its column, and what is wrong, in one table row.
    row = page[page.index('id="problems"') :]
    assert "<td>survey</td><td>9</td><td>relevant</td>" in row and "beeen" in row
    assert table_counts() == before


def test_the_report_is_in_the_users_language(make_form):
    client = login(ADMINISTRATORS)
    path = bilingual_form.write(make_form, broken=True)
    response = client.post(
        "/manage/surveys/new/",
        {"slug": "china", "file": upload(path)},
        headers={"accept-language": "ru"},
    )
    page = response.content.decode()
    assert "Анкета не загружена" in page
    assert "Лист" in page and "Строка" in page and "Столбец" in page


KK, RU = bilingual_form.KK, bilingual_form.RU


def three_mistakes(make_form):
    """A form with a Russian label missing (twice), a type not supported and a constraint
    that does not parse."""
    rows = [
        {"type": "begin group", "name": "p1", KK: "Бет", RU: "Страница"},
        {"type": "integer", "name": "age", KK: "Жасыңыз?", RU: "", "constraint": ". >= 18 and"},
        {"type": "geopoint", "name": "where", KK: "Қайда", RU: "Где"},
        {"type": "select_one yesno", "name": "been", KK: "Болдыңыз ба?", RU: "Бывали?"},
        {"type": "end group"},
    ]
    choices = [
        {"list_name": "yesno", "name": "1", KK: "Иә", RU: "Да"},
        {"list_name": "yesno", "name": "2", KK: "Жоқ", RU: ""},
    ]
    return make_form(rows, choices, bilingual_form.SETTINGS)


def problems_of(response) -> list[tuple[str, str, str, str]]:
    """The rows of the report's problem table: sheet, row, column, problem."""
    assert response.status_code == 400
    page = response.content.decode()
    table = page[page.index('id="problems"') : page.index("</table>", page.index('id="problems"'))]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    return [tuple(html.unescape(cell) for cell in row) for row in cells]


def test_a_russian_user_reads_each_problem_in_russian_with_its_sheet_row_and_column(make_form):
    response = login(ADMINISTRATORS).post(
        "/manage/surveys/new/",
        {"slug": "mistakes", "file": upload(three_mistakes(make_form))},
        headers={"accept-language": "ru"},
    )
    assert problems_of(response) == [
        ("survey", "3 (age)", "label::Russian (ru)", "у label нет текста на языке: Русский (ru)"),
        (
            "survey",
            "4 (where)",
            "",
            "вопросы типа «geopoint» не поддерживаются (--skip-unsupported или «Пропустить "
            "неподдерживаемое» в браузере загрузит остальное)",
        ),
        (
            "choices",
            "3 (список «yesno», вариант «2»)",
            "label::Russian (ru)",
            "у label нет текста на языке: Русский (ru)",
        ),
        (
            "survey",
            "3 (age)",
            "constraint",
            "«. >= 18 and» нельзя использовать: выражение обрывается слишком рано",
        ),
    ]
    assert "Лист" in response.content.decode()
    assert not Survey.objects.exists()


def test_the_same_form_uploaded_in_english_is_reported_in_english(make_form):
    client = login(ADMINISTRATORS)
    path = three_mistakes(make_form)
    # A Russian upload first: nothing it wrote in Russian comes back in English.
    client.post(
        "/manage/surveys/new/",
        {"slug": "mistakes", "file": upload(path)},
        headers={"accept-language": "ru"},
    )
    response = client.post(
        "/manage/surveys/new/",
        {"slug": "mistakes", "file": upload(path)},
        headers={"accept-language": "en"},
    )
    assert problems_of(response) == [
        ("survey", "3 (age)", "label::Russian (ru)", "label has no text in Russian (ru)"),
        (
            "survey",
            "4 (where)",
            "",
            "questions of type 'geopoint' are not supported (--skip-unsupported, or 'Skip "
            "unsupported items' in the browser, imports the rest)",
        ),
        (
            "choices",
            "3 (choice list 'yesno', choice '2')",
            "label::Russian (ru)",
            "label has no text in Russian (ru)",
        ),
        (
            "survey",
            "3 (age)",
            "constraint",
            "'. >= 18 and' cannot be used: the expression ends too early",
        ),
    ]


def test_the_language_cookie_chooses_the_reports_language_too(make_form):
    client = login(ADMINISTRATORS)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(
        "/manage/surveys/new/", {"slug": "mistakes", "file": upload(three_mistakes(make_form))}
    )
    first = problems_of(response)[0]
    assert first == (
        "survey",
        "3 (age)",
        "label::Russian (ru)",
        "label 缺少以下语言的文本：俄语 (ru)",
    )


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_clear_message(make_form):
    client = login(ADMINISTRATORS)
    picture = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n")
    response = client.post("/manage/surveys/new/", {"slug": "x", "file": picture})
    assert response.status_code == 400
    assert "photo.png is not an XLSForm" in response.content.decode()
    fake = SimpleUploadedFile("form.xlsx", b"this is no workbook")
    response = client.post("/manage/surveys/new/", {"slug": "x", "file": fake})
    assert "not a readable .xlsx spreadsheet" in response.content.decode()
    assert not Survey.objects.exists()


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(make_form):
    client = login(ADMINISTRATORS)
    big = SimpleUploadedFile("big.csv", b"x" * (limits.MAX_FILE_BYTES + 1))
    response = client.post("/manage/surveys/new/", {"slug": "x", "file": big})
    assert response.status_code == 400
    assert f"a form may have at most {limits.MAX_FILE_BYTES:,}" in response.content.decode()
    assert not Survey.objects.exists()


def test_a_new_survey_cannot_take_the_slug_of_another(make_form):
    client = login(ADMINISTRATORS)
    create(client, make_form)
    response = create(client, make_form, second=True)
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert not Survey.objects.get(slug="china").questions.filter(variable="trips").exists()


def test_uploading_again_onto_the_draft_lists_what_changed(make_form):
    client = login(ADMINISTRATORS)
    create(client, make_form)
    path = bilingual_form.write(make_form, name="v2.csv", second=True)
    response = client.post("/manage/china/questionnaire/upload/", {"file": upload(path)})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-import="updated"' in page
    changes = page[page.index('id="changes"') :]
    assert 'data-change="question_added"' in changes and "trips" in changes
    assert 'data-change="question_reworded"' in changes and "region" in changes
    assert 'data-change="choice_added"' in changes and "region/shymkent" in changes
    assert 'data-change="page_changed"' in changes and "p_visit" in changes
    assert Survey.objects.get(slug="china").questions.filter(variable="trips").exists()


def test_skipped_unsupported_items_are_listed_when_asked_for(make_form):
    client = login(ADMINISTRATORS)
    rows = bilingual_form.rows()
    rows = [
        *rows[:-1],
        {"type": "geopoint", "name": "where", bilingual_form.KK: "Қайда", bilingual_form.RU: "Где"},
        rows[-1],
    ]
    path = make_form(rows, bilingual_form.choices(), bilingual_form.SETTINGS)
    refused = client.post("/manage/surveys/new/", {"slug": "geo", "file": upload(path)})
    assert refused.status_code == 400 and "geopoint" in refused.content.decode()
    response = client.post(
        "/manage/surveys/new/", {"slug": "geo", "file": upload(path), "skip_unsupported": "on"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "where" in page[page.index('id="skipped"') :]


def test_the_questionnaire_downloads_as_an_xlsform_that_imports_back(make_form, tmp_path):
    client = login(ADMINISTRATORS)
    create(client, make_form)
    response = client.get("/manage/china/questionnaire/download/")
    assert response["Content-Disposition"] == 'attachment; filename="china.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    saved = tmp_path / "china.xlsx"
    saved.write_bytes(response.content)
    again = client.post("/manage/china/questionnaire/upload/", {"file": upload(saved)})
    assert 'data-import="unchanged"' in again.content.decode()


def test_a_field_manager_may_preview_and_download_but_not_upload_publish_or_copy(make_form):
    create(login(ADMINISTRATORS), make_form)
    survey = Survey.objects.get(slug="china")
    client = login(FIELD_MANAGERS, survey)
    page = client.get("/manage/china/questionnaire/")
    assert page.status_code == 200
    assert "/manage/china/questionnaire/upload/" not in page.content.decode()
    assert client.get("/manage/china/questionnaire/download/").status_code == 200
    assert client.get("/manage/china/preview/").status_code == 200
    path = bilingual_form.write(make_form, second=True)
    assert (
        client.post("/manage/china/questionnaire/upload/", {"file": upload(path)}).status_code
        == 404
    )
    assert client.post("/manage/china/publish/").status_code == 404
    assert client.post("/manage/china/copy/", {"slug": "c2"}).status_code == 404
    assert client.get("/manage/surveys/new/").status_code == 404
    assert Survey.objects.count() == 1


def test_publishing_is_refused_with_every_reason_then_accepted(make_form):
    client = login(ADMINISTRATORS)
    create(client, make_form)
    survey = Survey.objects.get(slug="china")
    design(survey, target=12, start=False)
    QuotaCell.objects.filter(name="almaty").update(condition="${region} = 'almaty_city'")
    response = client.post("/manage/china/publish/")
    assert response.status_code == 400
    page = response.content.decode()
    refused = page[page.index('id="publish-refused"') :]
    assert "fieldwork dates are missing" in refused
    assert "sum to 10, not to the sample target of 12" in refused
    assert "choice &#x27;almaty_city&#x27;" in refused
    assert Survey.objects.get(slug="china").status == Survey.Status.DRAFT

    design(survey, target=10)
    response = client.post("/manage/china/publish/", follow=True)
    assert Survey.objects.get(slug="china").status == Survey.Status.LIVE
    assert "The survey is live" in response.content.decode()


def test_copying_makes_a_draft_of_the_next_wave_with_nothing_collected(make_form):
    client = login(ADMINISTRATORS)
    create(client, make_form)
    survey = Survey.objects.get(slug="china")
    design(survey)
    WeightingScheme.objects.create(survey=survey, trim_high=2.5)
    client.post("/manage/china/publish/")
    respondent = Respondent.objects.create(survey=survey, token="t" * 32)
    Submission.objects.create(respondent=respondent, survey=survey, language="kk")

    response = client.post("/manage/china/copy/", {"slug": "china-2025"}, follow=True)
    copy = Survey.objects.get(slug="china-2025")
    assert response.redirect_chain[-1][0] == "/manage/china-2025/questionnaire/"
    assert (copy.status, copy.study, copy.wave, copy.questionnaire_version) == (
        "draft",
        "china",
        2,
        1,
    )
    assert copy.languages == ["kk", "ru"] and copy.questions.count() == 5
    assert (copy.fieldwork_start, copy.fieldwork_end) == (None, None)
    assert list(copy.quota_cells.values_list("name", "target", "reserved")) == [
        ("astana", 6, 0),
        ("almaty", 4, 0),
    ]
    assert copy.weighting.trim_high == 2.5
    assert not copy.respondents.exists() and not copy.submissions.exists()
    waves = response.content.decode()
    waves = waves[waves.index('id="waves"') :]
    assert waves.index("china<") < waves.index("china-2025<")
    index = client.get("/manage/").content.decode()
    assert index.index("/manage/china/") < index.index("/manage/china-2025/")


def test_a_new_wave_keeps_its_field_team_messages_and_schedule_but_nothing_sent(make_form):
    from mailings import services as mailings
    from mailings.models import MailingSchedule, MessageTemplate, Send
    from respondents.panel import PanelMember
    from respondents.services import panel_invite
    from tests.openrosa.conftest import interviewer

    client = login(ADMINISTRATORS)
    create(client, make_form)
    survey = Survey.objects.get(slug="china")
    design(survey)
    go_live(survey)
    amina = interviewer("amina", survey)
    MailingSchedule.objects.create(survey=survey, rate_per_minute=90, reminder_max=1)
    mailings.template_save(survey, "invitation", "ru", "Опрос, волна 1", "{link}\n{opt_out}")
    panel_invite(survey, [PanelMember("p1", "ru", {}, "p1@example.kz", "")])
    mailings.invitations_send(survey)

    client.post("/manage/china/copy/", {"slug": "china-2025"})
    copy = Survey.objects.get(slug="china-2025")
    assert list(copy.assignments.values_list("user__username", flat=True)) == ["amina"]
    assert Survey.objects.filter(assignments__user=amina).count() == 2
    schedule = MailingSchedule.objects.get(survey=copy)
    assert (schedule.rate_per_minute, schedule.reminder_max, schedule.last_sent) == (90, 1, None)
    template = MessageTemplate.objects.get(survey=copy)
    assert (template.kind, template.language, template.subject) == (
        "invitation",
        "ru",
        "Опрос, волна 1",
    )
    assert not Send.objects.filter(wave__survey=copy).exists()


def test_a_copy_refuses_a_slug_in_use(make_form):
    client = login(ADMINISTRATORS)
    create(client, make_form)
    create(client, make_form, slug="other")
    response = client.post("/manage/china/copy/", {"slug": "other"})
    assert response.status_code == 400 and "exists already" in response.content.decode()
    assert Survey.objects.count() == 2


def test_a_file_name_with_a_nul_or_of_any_length_is_read_under_a_name_of_our_own(make_form):
    client = login(ADMINISTRATORS)
    path = bilingual_form.write(make_form)
    named = SimpleUploadedFile("a\x00" + "b" * 400 + ".csv", path.read_bytes())
    response = client.post("/manage/surveys/new/", {"slug": "china", "file": named})
    assert response.status_code == 200
    assert Survey.objects.filter(slug="china").exists()
