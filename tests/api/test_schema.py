"""The API's schema says what its endpoints do (issue 14.9)."""

import pytest
import yaml

from reports.export_jobs import CONTENT_TYPES

pytestmark = pytest.mark.django_db

SUBMISSIONS = "/api/v1/surveys/{slug}/submissions/"


@pytest.fixture
def schema(client, survey, other_survey):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def request_component(schema, path, method):
    ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_the_idempotency_key_header_is_required(schema):
    (header,) = [
        p for p in schema["paths"][SUBMISSIONS]["post"]["parameters"] if p["in"] == "header"
    ]
    assert header["name"] == "Idempotency-Key" and header["required"] is True
    assert header["schema"]["maxLength"] == 200


def test_request_bodies_are_closed_as_the_api_refuses_unknown_fields(schema, manager):
    for path, method in ((SUBMISSIONS, "post"), ("/api/v1/surveys/{slug}/exports/", "post")):
        assert request_component(schema, path, method)["additionalProperties"] is False
    refused = manager.post(
        "/api/v1/surveys/field/exports/", {"format": "csv", "colour": "red"}, format="json"
    )
    assert refused.status_code == 400 and "colour" in refused.json()["errors"]


def test_languages_and_cells_are_enumerated_from_the_surveys(schema):
    body = request_component(schema, SUBMISSIONS, "post")
    assert body["properties"]["language"]["enum"] == ["en", "ru"]
    export = request_component(schema, "/api/v1/surveys/{slug}/exports/", "post")
    assert export["properties"]["cell"]["enum"] == ["north", "south"]
    (cell,) = [p for p in schema["paths"][SUBMISSIONS]["get"]["parameters"] if p["name"] == "cell"]
    assert cell["schema"]["enum"] == ["north", "south"]
    (size,) = [
        p for p in schema["paths"][SUBMISSIONS]["get"]["parameters"] if p["name"] == "page_size"
    ]
    assert (size["schema"]["minimum"], size["schema"]["maximum"]) == (1, 500)


def test_the_file_endpoint_declares_each_format_it_sends(schema):
    content = schema["paths"]["/api/v1/surveys/{slug}/exports/{token}/file/"]["get"]["responses"][
        "200"
    ]["content"]
    # A dataset with repeats is a zip of its files.
    assert set(content) == {media.split(";")[0] for media in CONTENT_TYPES.values()} | {
        "application/zip"
    }
    assert "application/octet-stream" not in content


@pytest.mark.parametrize(
    "url", ["/api/v1/surveys/fi%0Ald/", "/api/v1/%0A/", "/api/v1/surveys/field/exports/a%0Ab/"]
)
def test_a_newline_in_a_path_segment_is_a_json_404(manager, url):
    response = manager.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_there_is_no_password_reset_page(client):
    for url in ("/accounts/password_reset/", "/accounts/reset/MQ/set-password/"):
        assert client.get(url).status_code == 404
    login = client.get("/accounts/login/").content.decode()
    assert "password_reset" not in login
