"""A small live survey with screening, skip logic and hard quota cells; users per role."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from api.tokens import token_create
from reports.access import ADMINISTRATORS, FIELD_MANAGERS, VIEWERS
from reports.models import Assignment
from surveys.models import Survey
from surveys.services import (
    QuotaCellSpec,
    quota_cells_define,
    survey_import_xlsform,
)
from tests.conftest import go_live

EN, RU = "label::English (en)", "label::Russian (ru)"

ROWS = [
    {"type": "begin group", "name": "screen", EN: "About you", RU: "О вас"},
    {
        "type": "integer",
        "name": "age",
        EN: "Age",
        RU: "Возраст",
        "required": "yes",
        "min_value": "0",
        "max_value": "120",
        "screening": ". >= 18 and . <= 70",
    },
    {"type": "select_one region", "name": "region", EN: "Region", RU: "Регион", "required": "yes"},
    {"type": "end group"},
    {"type": "begin group", "name": "main", EN: "Opinions", RU: "Мнения"},
    {"type": "select_one yn", "name": "pet", EN: "A pet?", RU: "Питомец?", "required": "yes"},
    {
        "type": "text",
        "name": "petname",
        EN: "Its name",
        RU: "Кличка",
        "relevant": "${pet} = 'yes'",
        "required": "yes",
    },
    {"type": "select_multiple fruit", "name": "fruit", EN: "Fruit", RU: "Фрукты"},
    {
        "type": "decimal",
        "name": "score",
        EN: "Score",
        RU: "Оценка",
        "min_value": "0",
        "max_value": "10",
    },
    {"type": "end group"},
    {"type": "begin group", "name": "later", EN: "Later", RU: "Позже", "relevant": "${age} > 60"},
    {"type": "select_one yn", "name": "retired", EN: "Retired?", RU: "На пенсии?"},
    {"type": "end group"},
]
CHOICES = [
    {"list_name": "region", "name": "north", EN: "North", RU: "Север"},
    {"list_name": "region", "name": "south", EN: "South", RU: "Юг"},
    {"list_name": "yn", "name": "yes", EN: "Yes", RU: "Да"},
    {"list_name": "yn", "name": "no", EN: "No", RU: "Нет"},
    {"list_name": "fruit", "name": "apple", EN: "Apple", RU: "Яблоко"},
    {"list_name": "fruit", "name": "pear", EN: "Pear", RU: "Груша"},
]

SETTINGS = {"form_title::English (en)": "Field test", "form_title::Russian (ru)": "Полевой тест"}

# A complete interview of an eligible adult in the south.
GOOD = {"age": 34, "region": "south", "pet": "yes", "petname": "Rex", "fruit": ["apple"]}


def make_survey(make_form, slug: str, north_target: int = 2) -> Survey:
    survey = survey_import_xlsform(
        make_form(ROWS, CHOICES, SETTINGS, name=f"{slug}.csv"), slug
    ).survey
    quota_cells_define(
        survey,
        [
            QuotaCellSpec(
                "north", {"en": "North", "ru": "Север"}, "${region} = 'north'", north_target
            ),
            QuotaCellSpec("south", {"en": "South", "ru": "Юг"}, "${region} = 'south'", 100),
        ],
    )
    return go_live(survey)


@pytest.fixture
def survey(make_form, db):
    return make_survey(make_form, "field")


@pytest.fixture
def other_survey(make_form, db):
    return make_survey(make_form, "elsewhere")


def user_with(role: str | None, *surveys, name: str | None = None) -> User:
    user = User.objects.create_user(name or (role or "nobody").replace(" ", "_").lower())
    if role:
        user.groups.add(Group.objects.get(name=role))
    for survey in surveys:
        Assignment.objects.create(user=user, survey=survey)
    return user


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        _, key = token_create(user, "tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def roles(survey, other_survey):
    """An API client per role: admin, manager of `survey`, manager of another, viewer, none."""
    return {
        "admin": client_for(user_with(ADMINISTRATORS, name="chief")),
        "manager": client_for(user_with(FIELD_MANAGERS, survey, name="manager")),
        "stranger": client_for(user_with(FIELD_MANAGERS, other_survey, name="stranger")),
        "viewer": client_for(user_with(VIEWERS, survey, other_survey, name="viewer")),
        "anonymous": client_for(None),
    }


@pytest.fixture
def manager(roles):
    return roles["manager"]
