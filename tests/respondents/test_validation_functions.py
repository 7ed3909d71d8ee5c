"""What PostgreSQL runs for a validation is what respondents/sql/validation.sql says."""

import pytest
from django.db import connection

from respondents import functions

pytestmark = pytest.mark.django_db


def test_the_file_defines_both_functions_of_a_validation():
    assert set(functions.bodies()) == {
        "respondents_submission_to_judge",
        "respondents_record_verdict",
    }


def test_the_installed_functions_are_the_files_word_for_word():
    if connection.vendor != "postgresql":
        pytest.skip("the functions exist on PostgreSQL only (CI's second pass runs this)")
    # A change to the file without a migration that installs it again fails here.
    assert functions.installed_bodies(connection) == functions.bodies()
