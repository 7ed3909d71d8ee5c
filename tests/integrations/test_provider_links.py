import pytest
from django.test import Client

from integrations.models import Provider, ProviderRespondent
from integrations.providers import reconciliation_csv
from respondents.models import Respondent, Submission, Verdict
from respondents.validation import submission_override
from surveys.models import QuotaCell, Survey
from tests.integrations.conftest import FakeProvider, Walker

pytestmark = pytest.mark.django_db


def start(fake: FakeProvider, language: str = "ru", **params) -> Walker:
    person = Walker()
    welcome = person.get(fake.entry(**params))
    assert welcome.status_code == 200, welcome.content.decode()[:500]
    person.post(person.url, {"language": language})
    return person


def test_a_signed_entry_runs_to_a_signed_complete_redirect_with_the_id(kazakhstan, fake):
    person = start(fake, pid="PX-1001", city="almaty_city")
    assert person.page is not None
    person.answer_all(kazakhstan, age=34, region="almaty_city")
    back = fake.check_exit(person.exit)
    assert person.exit.startswith("https://panel.example/back?")
    assert back == {"status": "complete", "rid": "PX-1001", "s": "gt2024-kazakhstan"}
    link = ProviderRespondent.objects.get(provider=fake.provider, external_id="PX-1001")
    assert link.respondent.submission.status == Submission.Status.COMPLETED
    # The provider's id is kept beside the respondent; the panel id carries its prefix.
    assert link.respondent.panel_id == "acme:PX-1001"
    assert link.respondent.known == {"region": "almaty_city"}


def test_a_screen_out_goes_back_to_the_screen_out_url(kazakhstan, fake):
    person = start(fake, pid="PX-2")
    person.answer_all(kazakhstan, age=75)
    assert fake.check_exit(person.exit) == {"status": "screenout", "rid": "PX-2"}
    assert Respondent.objects.get(panel_id="acme:PX-2").submission.status == "screened_out"


def test_a_full_cell_goes_back_to_the_over_quota_url(kazakhstan, fake):
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=0)
    person = start(fake, pid="PX-3")
    person.answer_all(kazakhstan, region="astana")
    assert fake.check_exit(person.exit) == {"status": "quotafull", "rid": "PX-3"}


def test_a_prefilled_city_in_a_full_cell_goes_back_at_once(kazakhstan, fake):
    QuotaCell.objects.filter(survey=kazakhstan, name="astana").update(target=0)
    person = start(fake, pid="PX-4", city="astana")
    assert person.page is None
    assert fake.check_exit(person.exit)["status"] == "quotafull"


def test_a_tampered_id_is_refused_with_a_clear_page(fake):
    url = fake.entry(pid="PX-5").replace("PX-5", "PX-6")
    response = Client().get(url)
    assert response.status_code == 403
    # In the survey's default language, Kazakh: "its security signature does not match".
    assert "қауіпсіздік қолтаңбасы сәйкес келмейді" in response.content.decode()
    assert not ProviderRespondent.objects.exists()


def test_a_changed_signature_or_an_added_parameter_is_refused(fake):
    url = fake.entry(pid="PX-5")
    flipped = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert Client().get(flipped).status_code == 403
    assert Client().get(url + "&age=18").status_code == 403
    assert Client().get(url + "&sig=" + url.rsplit("sig=", 1)[1]).status_code == 403
    assert Client().get(url).status_code == 302


def test_an_unsigned_entry_is_refused_when_the_provider_has_a_secret(fake):
    response = Client().get(fake.entry(signed=False, pid="PX-7"))
    assert response.status_code == 403
    assert "қауіпсіздік қолтаңбасы жоқ" in response.content.decode()
    assert not Respondent.objects.filter(panel_id="acme:PX-7").exists()


def test_an_unsigned_entry_is_accepted_when_the_provider_has_no_secret(kazakhstan, acme):
    Provider.objects.filter(pk=acme.pk).update(secret="")
    response = Client().get("/p/gt2024-kazakhstan/acme/?pid=open-1")
    assert response.status_code == 302
    assert response.url.startswith("/s/")


def test_the_exit_is_unsigned_without_a_secret_and_values_are_url_encoded(kazakhstan, acme):
    Provider.objects.filter(pk=acme.pk).update(
        secret="", screened_out_url="https://panel.example/x?id={pid}&lang={language}"
    )
    person = Walker()
    person.get("/p/gt2024-kazakhstan/acme/?pid=a%20b%26c%3D1")
    person.post(person.url, {"language": "kk"})
    person.answer_all(kazakhstan, age=75)
    assert person.exit == "https://panel.example/x?id=a%20b%26c%3D1&lang=kk"


def test_an_id_that_finished_cannot_start_again(kazakhstan, fake):
    person = start(fake, pid="PX-8")
    person.answer_all(kazakhstan, age=75)
    again = Client().get(fake.entry(pid="PX-8"))
    assert again.status_code == 409
    page = again.content.decode()
    # "You have already taken part", in the language the respondent chose (Russian).
    assert "Вы уже приняли участие" in page
    assert '<html lang="ru">' in page
    assert ProviderRespondent.objects.filter(external_id="PX-8").count() == 1


def test_an_id_that_has_not_finished_resumes_where_it_stopped(kazakhstan, fake):
    first = start(fake, pid="PX-9")
    page_one = first.page
    first.answer_page(kazakhstan, age=41)
    assert first.page != page_one
    later = Walker()  # another browser, the same provider link
    later.get(fake.entry(pid="PX-9"))
    assert later.token == first.token
    assert later.page == first.page
    assert Respondent.objects.filter(survey=kazakhstan).count() == 1
    assert Respondent.objects.get().submission.answers["age"] == 41


def test_the_same_id_from_two_providers_is_two_respondents(kazakhstan, fake):
    other = Provider.objects.create(survey=kazakhstan, name="Other", slug="other")
    Client().get(fake.entry(pid="42"))
    Client().get(f"/p/gt2024-kazakhstan/{other.slug}/?pid=42")
    assert set(Respondent.objects.values_list("panel_id", flat=True)) == {"acme:42", "other:42"}


def test_a_link_without_an_id_or_with_a_bad_prefill_is_a_clear_400(kazakhstan, fake):
    no_id = Client().get(fake.entry(city="astana"))
    assert no_id.status_code == 400
    assert "Сілтеме толық емес" in no_id.content.decode()  # "The link is incomplete"
    bad_age = Client().get(fake.entry(pid="PX-10", age="old"))
    assert bad_age.status_code == 400
    assert "age &#x27;old&#x27; is not a whole number" in bad_age.content.decode()
    bad_city = Client().get(fake.entry(pid="PX-10", city="atlantis"))
    assert bad_city.status_code == 400
    assert not Respondent.objects.exists()


def test_a_prefilled_age_counts_for_screening(kazakhstan, fake):
    person = start(fake, pid="PX-11", age="75")
    assert Respondent.objects.get(panel_id="acme:PX-11").known == {"age": 75}
    person.answer_all(kazakhstan)  # the server still checks: age 75 is screened out
    assert fake.check_exit(person.exit)["status"] == "screenout"


def test_an_unknown_provider_or_a_draft_survey_is_a_404(kazakhstan, fake):
    assert Client().get("/p/gt2024-kazakhstan/nobody/?pid=1").status_code == 404
    Survey.objects.filter(pk=kazakhstan.pk).update(status=Survey.Status.DRAFT)
    assert Client().get(fake.entry(pid="1")).status_code == 404


def test_a_closed_survey_says_so(kazakhstan, fake):
    Survey.objects.filter(pk=kazakhstan.pk).update(status=Survey.Status.CLOSED)
    response = Client().get(fake.entry(pid="1"))
    page = response.content.decode()
    assert 'data-end="closed"' in page and "енді қабылданбайды" in page  # the survey's Kazakh
    assert not Respondent.objects.exists()


def test_a_complete_judged_invalid_later_is_quality_terminated(kazakhstan, fake):
    person = start(fake, pid="PX-12")
    person.answer_all(kazakhstan, age=30)
    assert fake.check_exit(person.exit)["status"] == "complete"
    submission = Submission.objects.get(respondent__panel_id="acme:PX-12")
    submission_override(submission, Verdict.INVALID, "speeding through every grid")
    again = Walker(person.client)
    again.get(f"/s/{person.token}/")
    assert fake.check_exit(again.exit)["status"] == "quality"
    rows = reconciliation_csv(fake.provider).splitlines()
    assert rows[0].startswith("id,outcome,status,verdict")
    assert rows[1].startswith("PX-12,quality_terminated,completed,invalid,")
    assert "status=quality&rid=PX-12&sig=" in rows[1]


def test_a_respondent_invited_from_a_panel_file_still_sees_the_end_page(kazakhstan, acme):
    from tests.respondents.conftest import Respondent_, invite

    person = Respondent_(invite(kazakhstan, "csv-1"))
    response = person.finish("ru", age=75)
    assert "Благодарим вас за интерес" in response.content.decode()


def test_an_id_that_looks_like_a_formula_is_not_a_formula_in_the_reconciliation_file(
    kazakhstan, fake
):
    person = start(fake, pid="=HYPERLINK(1)")
    person.answer_all(kazakhstan, age=75)
    line = reconciliation_csv(fake.provider).splitlines()[1]
    assert line.startswith("'=HYPERLINK(1),screened_out,screened_out,")
