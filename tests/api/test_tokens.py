"""API tokens: made by a command or in the admin, shown once, stored as a digest."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from api.models import ApiToken
from api.tokens import token_authenticate, token_create

pytestmark = pytest.mark.django_db


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


def test_a_token_notes_when_it_was_last_used(roles):
    token, key = token_create(User.objects.get(username="viewer"))
    assert token.last_used is None
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.get("/api/v1/surveys/")
    token.refresh_from_db()
    assert token.last_used is not None


def test_the_admin_lists_tokens_without_their_keys(admin_client, roles):
    response = admin_client.get("/admin/api/apitoken/")
    assert response.status_code == 200
    token = ApiToken.objects.first()
    assert token.prefix in response.content.decode()
    assert token.digest not in response.content.decode()


def test_staff_who_are_not_superusers_make_tokens_only_for_themselves(roles):
    from django.contrib.auth.models import Permission
    from django.test import Client

    clerk = User.objects.create_user("clerk", password="pw-123456", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"])
    )
    client = Client()
    client.force_login(clerk)
    manager = User.objects.get(username="manager")
    refused = client.post("/admin/api/apitoken/add/", {"user": manager.pk, "name": "theirs"})
    assert refused.status_code == 403
    assert not ApiToken.objects.filter(name="theirs").exists()
    own = client.post("/admin/api/apitoken/add/", {"user": clerk.pk, "name": "mine"})
    assert own.status_code == 302
    assert ApiToken.objects.get(name="mine").user == clerk
