"""Every error under /api/ is JSON a developer can act on."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_address_under_api_is_a_json_404(manager):
    response = manager.get("/api/v1/questionnaires/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "/api/v1/schema/swagger/" in response.json()["message"]


def test_a_missing_trailing_slash_is_pointed_out(manager):
    response = manager.get("/api/v1/surveys/field/quotas")
    assert response.status_code == 404
    assert "trailing slash" in response.json()["message"]


def test_a_wrong_method_is_a_json_405(manager):
    response = manager.delete("/api/v1/surveys/field/")
    assert response.status_code == 405
    assert "DELETE" in response.json()["message"]


def test_a_form_post_is_a_json_415(manager):
    response = manager.post(
        "/api/v1/surveys/field/submissions/", {"language": "en"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


def test_malformed_json_is_a_json_400(manager):
    response = manager.post(
        "/api/v1/surveys/field/submissions/",
        '{"language": "en",',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_a_server_error_is_json_too(manager, monkeypatch):
    def broken(survey):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("api.views.quota_table", broken)
    response = manager.get("/api/v1/surveys/field/quotas/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "database" not in response.json()["message"]  # no internals leak


def test_the_schema_and_its_pages_are_served_without_a_cdn(client, db):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/surveys/{slug}/submissions/" in schema.content
    for page in ("/api/v1/schema/swagger/", "/api/v1/schema/redoc/"):
        html = client.get(page).content.decode()
        assert "cdn" not in html.lower() and "https://" not in html, page
        assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/surveys/field/exports/a%00b/",
        "/api/v1/surveys/field/exports/a%00b/file/",
        "/api/v1/surveys/fi%00eld/",
    ],
)
def test_a_nul_in_an_address_is_a_404_not_a_server_error(manager, url):
    # PostgreSQL refuses NUL in a string: it must never reach a query.
    response = manager.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_lone_surrogate_in_a_field_name_is_a_400_not_a_server_error(manager):
    response = manager.post(
        "/api/v1/surveys/field/submissions/",
        '{"language": "en", "answers": {"\\ud800": 1}, "\\udfff": 2}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="surrogate",
    )
    assert response.status_code == 400
    assert response.json()["message"]
