"""`Authorization: Token <key>` against the hashed API tokens."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from api.tokens import token_authenticate


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's header format (`Token <key>`, `Bearer` accepted too), keys stored hashed."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _('Invalid Authorization header: send "Token <key>", the key without spaces.')
            )
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                _("Invalid token: a key has only letters, digits, - and _.")
            ) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        token = token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _(
                    "Invalid token: no active API token has this key. Create one with "
                    "`manage.py api_token USERNAME` or in the admin."
                )
            )
        return token.user, token
