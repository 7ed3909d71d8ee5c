"""Test links' submissions through the API: left out unless asked for, marked when shown."""

import pytest

from respondents import services
from respondents.models import Submission
from respondents.testmode import links_make
from tests.api.conftest import GOOD
from tests.api.test_reading import send

pytestmark = pytest.mark.django_db


def test_the_submission_list_leaves_tests_out_unless_asked(manager, survey):
    assert send(manager).status_code == 201
    (respondent,) = links_make(survey, 1)
    submission = services.submission_start(respondent, "en")
    Submission.objects.filter(pk=submission.pk).update(answers=GOOD)
    submission.refresh_from_db()
    assert services.submission_complete(submission).status == "completed"

    listed = manager.get("/api/v1/surveys/field/submissions/").json()["results"]
    assert [row["is_test"] for row in listed] == [False]
    both = manager.get("/api/v1/surveys/field/submissions/?include_test=true").json()["results"]
    assert sorted(row["is_test"] for row in both) == [False, True]
    assert manager.get("/api/v1/surveys/field/submissions/?include_test=maybe").status_code == 400
