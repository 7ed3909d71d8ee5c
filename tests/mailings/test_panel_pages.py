"""The panel pages under /manage/<slug>/panel/, the message editor, opt-out and the funnel."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mailings import sending, services
from mailings.messages import opt_out_token
from mailings.models import MessageTemplate, OptOut, Send
from reports.access import FIELD_MANAGERS, VIEWERS
from reports.models import Assignment
from respondents.models import Respondent
from tests.mailings.conftest import members

GOOD = (
    "panel_id,language,email,name,region,age,gender\n"
    "kz-1,ru,anna@example.kz,Анна,almaty_city,34,female\n"
    "kz-2,kk,erlan@example.kz,Ерлан,astana,27,male\n"
    "kz-3,ru,young@example.kz,,astana,16,male\n"
)


def login(survey, role=FIELD_MANAGERS, language="en") -> Client:
    user = User.objects.create_user(f"u{User.objects.count()}", password="pw-123456")
    user.groups.add(Group.objects.get(name=role))
    Assignment.objects.create(user=user, survey=survey)
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def upload(client, survey, text: str, name="panel.csv"):
    data = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(f"/manage/{survey.slug}/panel/upload/", {"panel": data})


def test_a_panel_with_a_bad_row_is_refused_naming_the_row_and_nobody_is_invited(kazakhstan_mailing):
    client = login(kazakhstan_mailing)
    bad = GOOD.replace(
        "kz-2,kk,erlan@example.kz,Ерлан,astana,27", "kz-2,kk,erlan@example,Ерлан,astana,200"
    )
    response = upload(client, kazakhstan_mailing, bad)
    page = response.content.decode()
    assert response.status_code == 400
    assert "panel.csv was refused; nobody was invited." in page
    assert "line 3: e-mail &#x27;erlan@example&#x27; is not an e-mail address" in page
    assert "line 3: age &#x27;200&#x27; is above the question&#x27;s maximum, 120" in page
    assert not Respondent.objects.filter(survey=kazakhstan_mailing).exists()


def test_the_refusal_is_in_the_managers_language(kazakhstan_mailing):
    client = login(kazakhstan_mailing, language="ru")
    response = upload(client, kazakhstan_mailing, GOOD.replace("almaty_city,34", "almaty_city,200"))
    page = response.content.decode()
    assert "строка 2: age &#x27;200&#x27; больше максимума вопроса, 120" in page
    assert "никто не приглашён" in page


def test_a_good_panel_invites_the_eligible_and_lists_the_ineligible(kazakhstan_mailing):
    client = login(kazakhstan_mailing)
    response = upload(client, kazakhstan_mailing, GOOD)
    page = response.content.decode()
    assert response.status_code == 200
    assert "panel.csv: 3 members; 2 invited, 2 of them new." in page
    assert "line 4: kz-3 (screening of age)" in page
    anna = Respondent.objects.get(survey=kazakhstan_mailing, panel_id="kz-1")
    assert (anna.email, anna.name, anna.preferred_language) == ("anna@example.kz", "Анна", "ru")
    assert not Respondent.objects.filter(panel_id="kz-3").exists()


def test_an_xlsx_panel_is_read_like_a_csv(kazakhstan_mailing):
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(GOOD)):
        book.active.append([int(v) if v.isdigit() else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    client = login(kazakhstan_mailing)
    data = SimpleUploadedFile("panel.xlsx", buffer.getvalue())
    response = client.post(f"/manage/{kazakhstan_mailing.slug}/panel/upload/", {"panel": data})
    assert response.status_code == 200
    assert Respondent.objects.get(panel_id="kz-2").known == {
        "region": "astana",
        "age": 27,
        "gender": "male",
    }


def test_the_panel_list_shows_statuses_with_filters_and_downloads_as_csv(kazakhstan_mailing, smtp):
    anna, erlan, _ = members(
        kazakhstan_mailing,
        ("kz-1", "ru", "anna@example.kz", "Анна", {}),
        ("kz-2", "kk", "erlan@example.kz", "", {}),
        ("kz-3", "ru", "", "", {}),
    )
    services.invitations_send(kazakhstan_mailing, [anna.pk, erlan.pk])
    sending.survey_send_due(kazakhstan_mailing.pk)
    OptOut.objects.create(respondent=erlan)
    client = login(kazakhstan_mailing)
    page = client.get(f"/manage/{kazakhstan_mailing.slug}/panel/").content.decode()
    assert 'data-member-status="emailed"' in page and 'data-member-status="opted_out"' in page
    filtered = client.get(
        f"/manage/{kazakhstan_mailing.slug}/panel/?status=emailed"
    ).content.decode()
    assert 'data-member="kz-1"' in filtered and 'data-member="kz-2"' not in filtered
    download = client.get(f"/manage/{kazakhstan_mailing.slug}/panel/download/?status=invited")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0] == ["panel_id", "name", "email", "language", "status", "link"]
    assert [row[0] for row in rows[1:]] == ["kz-3"]


def test_send_invitations_to_a_quota_cell(kazakhstan_mailing, smtp):
    members(
        kazakhstan_mailing,
        ("kz-1", "ru", "a@example.kz", "", {"region": "astana"}),
        ("kz-2", "ru", "b@example.kz", "", {"region": "almaty_city"}),
    )
    client = login(kazakhstan_mailing)
    response = client.post(
        f"/manage/{kazakhstan_mailing.slug}/panel/send/",
        {"selection": "cell", "cell": "astana"},
        follow=True,
    )
    assert "Wave 1: 1 invitation is being sent." in response.content.decode()
    assert [s.respondent.panel_id for s in Send.objects.all()] == ["kz-1"]


def test_a_viewer_cannot_reach_the_panel(kazakhstan_mailing):
    client = login(kazakhstan_mailing, role=VIEWERS)
    assert client.get(f"/manage/{kazakhstan_mailing.slug}/panel/").status_code == 404
    assert upload(client, kazakhstan_mailing, GOOD).status_code == 404


def test_the_russian_message_is_previewed_and_a_message_without_its_link_refused(
    kazakhstan_mailing,
):
    members(kazakhstan_mailing, ("kz-1", "ru", "a@example.kz", "Анна", {}))
    client = login(kazakhstan_mailing)
    url = f"/manage/{kazakhstan_mailing.slug}/panel/messages/?kind=invitation&language=ru"
    page = client.get(url).content.decode()
    assert "Здравствуйте, Анна!" in page and "Приглашение: " in page
    response = client.post(url, {"subject": "Опрос", "body": "Здравствуйте! {opt_out}", "save": ""})
    assert response.status_code == 400
    assert "the message must contain {link}" in response.content.decode()
    assert not MessageTemplate.objects.exists()
    response = client.post(
        url,
        {
            "subject": "Опрос {title}",
            "body": "Привет, {name}: {link} {opt_out} {oops}",
            "preview": "",
        },
    )
    assert "{oops} is not a placeholder" in response.content.decode()
    client.post(
        url, {"subject": "Опрос {title}", "body": "Привет, {name}: {link} {opt_out}", "save": ""}
    )
    template = MessageTemplate.objects.get()
    assert (template.language, template.kind, template.body[:13]) == (
        "ru",
        "invitation",
        "Привет, {name",
    )


def test_the_opt_out_link_asks_then_opts_out_in_the_members_language(kazakhstan_mailing, smtp):
    (member,) = members(kazakhstan_mailing, ("kz-1", "kk", "a@example.kz", "", {}))
    url = f"/m/{opt_out_token(member)}/opt-out/"
    asked = Client().get(url)
    assert "Бұл сауалнама туралы хаттарды тоқтату керек пе?" in asked.content.decode()
    assert not OptOut.objects.exists()  # a link scanner's visit changes nothing
    done = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "Сізге бұл сауалнама туралы бұдан былай хат келмейді." in done.content.decode()
    assert OptOut.objects.filter(respondent=member).exists()
    assert services.invitations_send(kazakhstan_mailing) is None
    assert Client().get(f"/m/{opt_out_token(member)}x/opt-out/").status_code == 404


@pytest.mark.parametrize("role", [FIELD_MANAGERS])
def test_the_dashboard_funnel_shows_each_wave(kazakhstan_mailing, smtp, role):
    smtp.refuse["gone@example.kz"] = "550 no such user"
    people = members(
        kazakhstan_mailing,
        ("kz-1", "ru", "a@example.kz", "", {}),
        ("kz-2", "ru", "gone@example.kz", "", {}),
    )
    services.invitations_send(kazakhstan_mailing)
    sending.survey_send_due(kazakhstan_mailing.pk)
    Client().get(f"/m/{Send.objects.get(respondent=people[0]).token}/")
    page = (
        login(kazakhstan_mailing, role).get(f"/manage/{kazakhstan_mailing.slug}/").content.decode()
    )
    assert "E-mail funnel by wave" in page
    row = page[page.index('data-wave="1"') :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")][2:7]
    assert cells == ["2", "1", "1", "1", "0"]  # messages, e-mailed, bounced, opened, opted out
    assert "Response rate by days since the invitation" in page


def test_the_status_counts_agree_with_the_list(kazakhstan_mailing, smtp):
    from collections import Counter

    from mailings.selectors import panel_members, status_counts
    from respondents.models import Submission, Verdict

    smtp.refuse["gone@example.kz"] = "550 no such user"
    people = members(
        kazakhstan_mailing,
        *[
            (f"kz-{n}", "ru", f"m{n}@example.kz" if n != 3 else "gone@example.kz", "", {})
            for n in range(9)
        ],
        ("kz-quiet", "ru", "", "", {}),
    )
    services.invitations_send(kazakhstan_mailing)
    sending.survey_send_due(kazakhstan_mailing.pk)
    for person, status, verdict in (
        (people[0], "completed", Verdict.VALID),
        (people[1], "completed", Verdict.PENDING),
        (people[2], "screened_out", Verdict.PENDING),
        (people[4], "over_quota", Verdict.PENDING),
        (people[5], "in_progress", Verdict.PENDING),
    ):
        Submission.objects.create(
            respondent=person,
            survey=kazakhstan_mailing,
            language="ru",
            status=status,
            verdict=verdict,
        )
    OptOut.objects.create(respondent=people[6])
    services.send_opened(Send.objects.get(respondent=people[7]))
    listed = Counter(panel_members(kazakhstan_mailing).values_list("status", flat=True))
    counted = status_counts(kazakhstan_mailing)
    assert counted == {name: listed.get(name, 0) for name in counted}
    assert {k: v for k, v in counted.items() if v} == {
        "valid": 1,
        "completed": 1,
        "screened_out": 1,
        "bounced": 1,
        "over_quota": 1,
        "started": 1,
        "opted_out": 1,
        "opened": 1,
        "emailed": 1,
        "invited": 1,
    }
