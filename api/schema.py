"""What drf-spectacular needs to describe this API's own pieces."""

import logging

from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiAuthenticationExtension

logger = logging.getLogger(__name__)


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An API token, sent as "Token <key>".',
        }


def closed_requests_and_known_values(result, generator, request, public):
    """Make the schema say what the API does where drf-spectacular cannot by itself.

    - Request bodies are closed (`additionalProperties: false`): every request serializer
      refuses a field it does not know (StrictSerializer), naming it.
    - A `language` or `cell` sent in a body or a query is an enum of the values this
      deployment's surveys have (each survey still accepts only its own, a 400 naming
      them otherwise); without surveys it stays a string.
    - `page_size` is a whole number from 1 to the pagination's maximum.
    """
    from api.pagination import SubmissionCursor
    from surveys.models import QuotaCell, Survey

    try:
        languages = sorted(
            {code for codes in Survey.objects.values_list("languages", flat=True) for code in codes}
        )
        cells = sorted(set(QuotaCell.objects.values_list("name", flat=True)))
    except (DatabaseError, RuntimeError):
        # No database to read (or, while pytest collects, none allowed): the schema is
        # still served, without these enums.
        logger.warning("the API schema is served without its enums: no database")
        languages, cells = [], []
    known = {"language": languages, "cell": cells}
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request") or component.get("type") != "object":
            continue
        component["additionalProperties"] = False
        for field, values in known.items():
            if field in component.get("properties", {}) and values:
                component["properties"][field]["enum"] = values
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                if parameter["name"] in known and known[parameter["name"]]:
                    parameter["schema"]["enum"] = known[parameter["name"]]
                if parameter["name"] == SubmissionCursor.page_size_query_param:
                    parameter["schema"].update(minimum=1, maximum=SubmissionCursor.max_page_size)
    return result
