"""Schemathesis against the live OpenAPI schema through the WSGI app: every check passes.

Not only no 5xx: each answer conforms to the schema (status, content type, body,
headers), schema-valid data is accepted and invalid data refused. The rules no schema
can state (a submission's answers follow its survey's questionnaire; `since` is not after
`until`) are listed in schemathesis.toml, which lets those operations answer 400 to
schema-valid data.

Bounded: a few examples per operation, derandomised so that a run is repeatable.
"""

import os

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from api.tokens import token_create
from fieldwork.wsgi import application
from tests.api.conftest import GOOD

MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "8"))


@pytest.fixture
def wsgi_token(admin_key):
    """The key, with the test's connection kept open through WSGI requests.

    As Django's test client does around each request (and undoes after it, so this
    comes after any use of that client): on PostgreSQL, closing the connection at the
    end of a request would end the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield admin_key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key(roles, survey):
    """An administrator's key, with a submission to find, so requests reach real data."""
    _, key = token_create(User.objects.get(username="chief"))
    roles["admin"].post(
        "/api/v1/surveys/field/submissions/",
        {"language": "en", "answers": GOOD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="fuzz-seed",
    )
    return key


# The live schema, served by the project's own WSGI application. Loaded as the tests are
# collected, with no database: it lacks the enums of languages and cells then (tested in
# test_schema.py), and the operations taking them may answer 400 (schemathesis.toml).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_check_passes_for_generated_requests(case, wsgi_token):
    # Aim at the survey that exists rather than at random slugs only.
    if "slug" in (case.path_parameters or {}):
        case.path_parameters["slug"] = "field"
    response = case.call_and_validate(headers={"Authorization": f"Token {wsgi_token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    # Every answer, an error included, is JSON (a file download aside).
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(("application/json", "text/", "application/")), (
        case.method,
        case.formatted_path,
        response.headers,
    )
