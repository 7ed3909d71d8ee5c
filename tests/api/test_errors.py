"""Every error under /api/ is JSON a developer can act on."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from api.models import ApiToken
from api.tokens import token_authenticate

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


def test_an_unknown_token_is_refused_with_how_to_get_one(survey):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token fw_not-a-real-key")
    response = client.get("/api/v1/surveys/")
    assert response.status_code == 401
    assert "api_token" in response.json()["message"]


def test_the_api_token_command_prints_a_key_that_works_and_is_stored_hashed(roles, capsys):
    call_command("api_token", "manager", "--name", "tablet sync")
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="tablet sync")
    assert key.startswith(token.prefix)
    assert key not in (token.digest, token.prefix)
    assert token_authenticate(key).user.username == "manager"
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/surveys/").status_code == 200


def test_the_api_token_command_names_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nobody"):
        call_command("api_token", "nobody")


def test_a_deactivated_users_token_stops_working(roles):
    User.objects.filter(username="manager").update(is_active=False)
    assert roles["manager"].get("/api/v1/surveys/").status_code == 401


def test_the_admin_creates_a_token_and_shows_its_key_once(admin_client, roles):
    manager = User.objects.get(username="manager")
    response = admin_client.post(
        "/admin/api/apitoken/add/", {"user": manager.pk, "name": "from admin"}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="from admin")
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1
    key = next(word for word in shown[0].split() if word.startswith(token.prefix))
    assert token_authenticate(key) == token
    again = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/")
    assert key not in again.content.decode()


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
