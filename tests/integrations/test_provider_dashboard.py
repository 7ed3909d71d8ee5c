import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from integrations.models import Provider
from reports.access import FIELD_MANAGERS, VIEWERS
from reports.models import Assignment
from respondents.models import Submission, Verdict
from respondents.validation import submission_override
from surveys.models import QuotaCell
from tests.integrations.conftest import SECRET, FakeProvider, Walker

pytestmark = pytest.mark.django_db


def login(role: str, survey) -> Client:
    user = User.objects.create_user(f"u{User.objects.count()}", password="pw-123456")
    user.groups.add(Group.objects.get(name=role))
    Assignment.objects.create(user=user, survey=survey)
    client = Client()
    client.force_login(user)
    return client


def arrive(fake: FakeProvider, pid: str, survey, **answers) -> Walker:
    person = Walker()
    person.get(fake.entry(pid=pid))
    person.post(person.url, {"language": "ru"})
    person.answer_all(survey, **answers)
    return person


def counts(page: str, slug: str) -> dict[str, int]:
    row = re.search(rf'<tr data-provider="{slug}">(.*?)</tr>', page, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', row)}


def test_the_dashboard_counts_each_provider_separately(kazakhstan, acme):
    other = Provider.objects.create(
        survey=kazakhstan, name="Bolt Sample", slug="bolt", secret="another-secret-value"
    )
    acme_fake, bolt_fake = FakeProvider(acme), FakeProvider(other, "another-secret-value")
    arrive(acme_fake, "a1", kazakhstan, age=30, region="shymkent")
    arrive(acme_fake, "a2", kazakhstan, age=30, region="shymkent")
    arrive(acme_fake, "a3", kazakhstan, age=75)
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=0)
    arrive(bolt_fake, "b1", kazakhstan, region="astana")
    Walker().get(bolt_fake.entry(pid="b2"))  # came, never started
    submission_override(
        Submission.objects.get(respondent__panel_id="acme:a2"), Verdict.INVALID, "copied"
    )
    page = login(FIELD_MANAGERS, kazakhstan).get("/manage/gt2024-kazakhstan/").content.decode()
    assert "Acme Panels" in page and "Bolt Sample" in page
    assert counts(page, "acme") == {
        "started": 3,
        "completed": 2,
        "screened_out": 1,
        "over_quota": 0,
        "quality_terminated": 1,
    }
    assert counts(page, "bolt") == {
        "started": 1,
        "completed": 0,
        "screened_out": 0,
        "over_quota": 1,
        "quality_terminated": 0,
    }


def test_the_test_link_on_the_dashboard_is_signed_and_starts_the_survey(kazakhstan, acme):
    page = login(FIELD_MANAGERS, kazakhstan).get("/manage/gt2024-kazakhstan/").content.decode()
    link = re.search(r'<a href="([^"]+)"[^>]*data-test-link', page).group(1).replace("&amp;", "&")
    assert link.startswith("http://testserver/p/gt2024-kazakhstan/acme/?pid=test-")
    path_and_query = link.removeprefix("http://testserver")
    FakeProvider(acme).check_exit(path_and_query)  # the provider's own check passes
    response = Client().get(path_and_query)
    assert response.status_code == 302 and response.url.startswith("/s/")
    # No inline script or style in what was added (the Content-Security-Policy).
    panel = page[page.index('class="card shadow-sm mt-3 providers"') :]
    assert "<script>" not in panel and "style=" not in panel.split("</table>")[0]


def test_a_viewer_sees_the_counts_but_no_test_link(kazakhstan, acme):
    page = login(VIEWERS, kazakhstan).get("/manage/gt2024-kazakhstan/").content.decode()
    assert counts(page, "acme")["started"] == 0
    assert "data-test-link" not in page


def test_a_survey_without_providers_shows_no_provider_panel(kazakhstan):
    page = login(FIELD_MANAGERS, kazakhstan).get("/manage/gt2024-kazakhstan/").content.decode()
    assert "Panel providers" not in page


def test_the_admin_shows_the_entry_url_and_a_signed_test_link(kazakhstan, acme, settings):
    settings.SITE_URL = "https://survey.example"
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    page = admin.get(f"/admin/integrations/provider/{acme.pk}/change/").content.decode()
    assert "https://survey.example/p/gt2024-kazakhstan/acme/?pid=&lt;id&gt;" in page
    link = re.search(r'href="(https://survey.example/p/[^"]+)"', page).group(1)
    FakeProvider(acme, SECRET).check_exit(
        link.replace("&amp;", "&").removeprefix("https://survey.example")
    )


def test_the_admin_refuses_a_prefill_of_an_unknown_question_and_a_bad_exit_url(kazakhstan):
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    response = admin.post(
        "/admin/integrations/provider/add/",
        {
            "survey": kazakhstan.pk,
            "name": "Broken",
            "slug": "broken",
            "active": "on",
            "id_parameter": "pid",
            "prefill": '{"city": "town"}',
            "complete_url": "https://panel.example/?id={pid.upper}",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "town: not a question of this survey." in page
    assert "is not a placeholder" in page
    assert not Provider.objects.filter(slug="broken").exists()
