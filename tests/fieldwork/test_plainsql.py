"""Statements sent in one round trip, planned once per session (fieldwork.plainsql.run)."""

import pytest
from django.db import DatabaseError, connection, transaction

from fieldwork import plainsql
from surveys.models import Survey

pytestmark = pytest.mark.django_db

SLUG = "SELECT slug FROM surveys_survey WHERE id = %s"
RENAME = "UPDATE surveys_survey SET slug = %s WHERE id = %s"


@pytest.fixture
def survey():
    return Survey.objects.create(slug="plain", title={"en": "Plain"}, languages=["en"])


def test_the_last_statement_gives_the_row_count_and_rows(survey):
    count, rows = plainsql.run([(RENAME, ["renamed", survey.pk]), (SLUG, [survey.pk])])
    assert rows == [("renamed",)]
    count, rows = plainsql.run([(SLUG, [survey.pk]), (RENAME, ["again", survey.pk])])
    assert (count, rows) == (1, [])
    assert Survey.objects.get(pk=survey.pk).slug == "again"


def test_a_batch_that_fails_part_way_leaves_the_next_one_working(survey):
    other = Survey.objects.create(slug="other", title={"en": "Other"}, languages=["en"])
    plainsql.run([(SLUG, [survey.pk])])
    failing = "UPDATE surveys_survey SET slug = %s WHERE id = %s AND slug <> %s"
    with pytest.raises(DatabaseError), transaction.atomic():
        # The rename breaks the unique slug after the first statements were prepared.
        plainsql.run([(SLUG, [survey.pk]), (failing, ["other", survey.pk, "x"])])
    plainsql.run([(failing, ["third", survey.pk, "x"]), (SLUG, [other.pk])])
    assert Survey.objects.get(pk=survey.pk).slug == "third"


def test_on_postgresql_a_statement_is_prepared_once_per_session(survey):
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's driver keeps statements compiled itself (CI's second pass runs this)")
    with CaptureQueriesContext(connection) as queries:
        plainsql.run([(SLUG, [survey.pk])])
        plainsql.run([(SLUG, [survey.pk])])
    sent = [query["sql"] for query in queries]
    assert sent[-1].startswith("EXECUTE plainsql_") and "PREPARE" not in sent[-1]
