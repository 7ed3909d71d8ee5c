"""A provider's pre-filled answers are checked as a panel file's are (issue 14.6, 15.6)."""

import pytest
from django.test import Client

from respondents.models import Respondent, Submission
from tests.integrations.test_provider_links import start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("age", "reason"),
    [
        ("1e29", "is not a whole number"),
        ("1" + "0" * 30, "is above the question&#x27;s maximum, 120"),
        ("200", "is above the question&#x27;s maximum, 120"),
        ("1_000", "is not a whole number"),
        ("٣٤", "is not a whole number"),
    ],
)
def test_a_prefilled_age_out_of_range_or_not_ascii_digits_is_a_400(kazakhstan, fake, age, reason):
    response = Client().get(fake.entry(pid="PX-20", age=age))
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Respondent.objects.exists()


def test_a_prefilled_age_that_fails_screening_ends_at_the_link(kazakhstan, fake):
    person = start(fake, pid="PX-21", age="16")
    assert person.page is None
    assert fake.check_exit(person.exit)["status"] == "screenout"
    assert Submission.objects.get(respondent__panel_id="acme:PX-21").status == "screened_out"
