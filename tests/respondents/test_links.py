import math
import re
from collections import Counter

import pytest
from django.test import Client

from respondents.models import Respondent, Submission
from respondents.services import submission_complete
from respondents.tokens import TOKEN_BYTES, new_token
from surveys.models import QuotaCell, Survey
from tests.respondents.conftest import Respondent_, invite

pytestmark = pytest.mark.django_db


def test_tokens_carry_at_least_128_random_bits():
    assert TOKEN_BYTES * 8 >= 128
    tokens = [new_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    # Every URL-safe character turns up with about the same frequency.
    counts = Counter("".join(t[:42] for t in tokens))
    entropy = -sum(
        c / sum(counts.values()) * math.log2(c / sum(counts.values())) for c in counts.values()
    )
    assert entropy > 5.9  # 6 bits is the maximum for 64 symbols


@pytest.mark.parametrize(
    "path",
    [
        "/s/" + "A" * 43 + "/",  # well formed, unknown
        "/s/short/",  # mangled
        "/s/" + "A" * 43 + "/p/p_screening/",
        "/s/%00%00/",
        "/s/" + "A" * 43 + "'--/",
    ],
)
def test_unknown_or_mangled_links_are_a_plain_404(kazakhstan, path):
    response = Client().get(path)
    assert response.status_code == 404


def test_a_draft_survey_is_not_reachable_by_its_links(kazakhstan):
    respondent = invite(kazakhstan)
    Survey.objects.filter(pk=kazakhstan.pk).update(status=Survey.Status.DRAFT)
    assert Client().get(f"/s/{respondent.token}/").status_code == 404


def test_a_closed_survey_says_so(kazakhstan):
    respondent = invite(kazakhstan, language="ru")
    Survey.objects.filter(pk=kazakhstan.pk).update(status=Survey.Status.CLOSED)
    page = Client().get(f"/s/{respondent.token}/").content.decode()
    assert "Опрос закрыт" in page


def test_the_language_page_preselects_the_panel_language(kazakhstan):
    respondent = invite(kazakhstan, language="ru")
    page = Client().get(f"/s/{respondent.token}/").content.decode()
    assert re.search(r'value="ru"[^>]*checked', page)
    assert "Қазақ тілі" in page and "Русский" in page


def test_opening_the_link_does_not_start_the_survey(kazakhstan):
    # Mail scanners follow links: only the respondent's own click on Start counts.
    respondent = invite(kazakhstan)
    Client().get(f"/s/{respondent.token}/")
    assert not Submission.objects.exists()


def test_a_post_without_a_csrf_token_is_rejected(kazakhstan):
    respondent = invite(kazakhstan)
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/s/{respondent.token}/", {"language": "ru"})
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_completing_again_changes_nothing(kazakhstan):
    person = Respondent_(invite(kazakhstan, region="astana"))
    person.finish("ru")
    submission = person.submission
    ended = submission.ended
    submission_complete(submission)
    submission_complete(submission)
    submission.refresh_from_db()
    assert (submission.status, submission.ended) == (Submission.Status.COMPLETED, ended)
    assert QuotaCell.objects.get(survey=kazakhstan, name="astana").reserved == 1
    assert submission.slots.count() == 1


def test_a_double_click_on_start_makes_one_submission(kazakhstan):
    respondent = invite(kazakhstan)
    client = Client()
    client.post(f"/s/{respondent.token}/", {"language": "ru"})
    client.post(f"/s/{respondent.token}/", {"language": "kk"})
    assert Submission.objects.filter(respondent=respondent).count() == 1
    assert Submission.objects.get(respondent=respondent).language == "ru"


def test_the_open_link_is_off_by_default(kazakhstan):
    assert Client().get(f"/o/{kazakhstan.slug}/").status_code == 404


def test_the_open_link_lets_one_browser_start_once(kazakhstan):
    Survey.objects.filter(pk=kazakhstan.pk).update(open_link=True)
    browser = Client()
    assert browser.get(f"/o/{kazakhstan.slug}/").status_code == 200
    first = browser.post(f"/o/{kazakhstan.slug}/")
    again = browser.post(f"/o/{kazakhstan.slug}/")
    assert first.url == again.url
    assert Respondent.objects.filter(source=Respondent.Source.OPEN).count() == 1
    Client().post(f"/o/{kazakhstan.slug}/")  # another browser is another respondent
    assert Respondent.objects.filter(source=Respondent.Source.OPEN).count() == 2
