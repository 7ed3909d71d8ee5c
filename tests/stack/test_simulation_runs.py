"""Two fieldwork simulations on one survey at once, as two processes (load tools do this)."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from respondents.models import Respondent, Submission
from surveys.models import Survey
from tests.stack.conftest import ROOT
from tests.stack.test_fieldwork_pipeline import database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the simulations are other processes")


def simulation(slug: str, seed: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "simulate_fieldwork",
            slug,
            "--respondents",
            "25",
            "--seed",
            str(seed),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fieldwork.settings",
            "DATABASE_URL": database_url(),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_simulations_side_by_side_on_one_survey_both_finish():
    call_command("load_demo")
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    # the same seed: the same answers in the same order, racing for the same ids if they
    # were numbered by survey rather than by run
    runs = [simulation(survey.slug, 7), simulation(survey.slug, 7)]
    printed = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], printed
    ids = list(Respondent.objects.filter(survey=survey).values_list("panel_id", flat=True))
    assert len(ids) == len(set(ids)) == 50
    assert len({panel_id.rsplit("-", 1)[0] for panel_id in ids}) == 2
    assert Submission.objects.filter(survey=survey).count() == 50
