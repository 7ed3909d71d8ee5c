"""`Authorization: Token <key>` against the hashed API tokens."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from api.tokens import token_authenticate


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's header format (`Token <key>`, `Bearer` accepted too), keys stored hashed."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == b"bearer":
            header[0] = self.keyword.encode()
            request.META["HTTP_AUTHORIZATION"] = b" ".join(header).decode(errors="replace")
        return super().authenticate(request)

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
