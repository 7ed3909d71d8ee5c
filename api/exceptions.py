"""Every error under /api/ as JSON: `{"message", "code", "errors"}`.

`message` is one sentence a developer can act on; `errors` (validation only) maps each
field, dotted for nested ones (`answers.age`), to what is wrong with it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Return DRF's nested error detail as {"field.sub": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for name, value in detail.items():
            name = "" if name == "non_field_errors" else str(name)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "request": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "request": [str(detail)]}


def validation_body(errors: dict[str, list[str]], code: str = "invalid") -> dict[str, Any]:
    """Return the body of a 400: a summary naming the fields, and each field's errors."""
    summary = "; ".join(f"{name}: {' '.join(why)}" for name, why in list(errors.items())[:5])
    if len(errors) > 5:
        summary += _("; and %(n)d more") % {"n": len(errors) - 5}
    return {
        "message": _("The request is not valid. %(summary)s") % {"summary": summary},
        "code": code,
        "errors": errors,
    }


def handler(exc: Exception, context: dict) -> Response:
    """DRF's exception handler for this API: JSON for every error, 500s included."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        logger.exception("API error on %s", getattr(request, "path", "?"), exc_info=exc)
        set_rollback()
        return Response(
            {
                "message": _(
                    "The server failed on this request; it has been logged. Retrying the "
                    "same request with the same idempotency key is safe."
                ),
                "code": "server_error",
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        body = validation_body(_flatten(exc.detail))
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else str(exc.default_detail)
        body = {"message": message, "code": exc.default_code}
        if isinstance(exc, exceptions.UnsupportedMediaType):
            body["message"] += " " + _('Send JSON, with "Content-Type: application/json".')
        if isinstance(exc, exceptions.NotAuthenticated):
            body["message"] = _(
                'Authentication is needed: send "Authorization: Token <key>". Create a key '
                "with `manage.py api_token USERNAME` or in the admin (API tokens)."
            )
    return Response(body, status=exc.status_code, headers=headers)


@csrf_exempt  # a POST to no endpoint is a 404, not a CSRF failure page
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Answer an address under /api/ that no endpoint has, in JSON."""
    message = _("There is no API endpoint at %(path)s.") % {"path": request.path}
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "not-found":
            message += " " + _("Did you mean %(path)s/ (with a trailing slash)?") % {
                "path": request.path
            }
    message += " " + _("The endpoints are listed at /api/v1/schema/swagger/.")
    return JsonResponse({"message": message, "code": "not_found"}, status=404)
