"""One more try for a request whose database connection was dropped under it.

Connections live across requests (CONN_MAX_AGE) and are checked before a request's first
query (CONN_HEALTH_CHECKS), so a connection the database dropped between requests is
replaced without anyone noticing. One dropped during a request (a database restart, a
failover, a proxy cutting idle links) fails that request's next statement. This
middleware then runs the view once more, on a new connection, when that cannot do
anything twice: nothing the request did so far can have changed the database. That is
so when every statement before the failure was a read outside a transaction, and the
failed one was a read too, or the first statement of a transaction (which the database
rolls back when its connection goes).

A statement inside a transaction that succeeded counts as a change, even a SELECT: the
transaction may commit, or may have committed when the connection went. A failed write
outside a transaction counts too: the database may have applied it before the connection
went. Such a request fails as before (500), and so does a second failure.
"""

from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


class _Changes:
    """An execute wrapper noting whether the request may have changed the database, and
    whether a statement failed because its connection was gone."""

    def __init__(self) -> None:
        self.possible = False
        self.lost = False

    def __call__(self, execute, sql, params, many, context):
        connection = context["connection"]
        in_transaction = connection.in_atomic_block
        read = not many and str(sql).lstrip()[:6].upper() == "SELECT"
        try:
            result = execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            if not in_transaction and not read:
                self.possible = True
            # Asked now: by the time the view's exception arrives, the connection may
            # have been closed and opened again (an atomic block's rollback).
            self.lost = self.lost or not connection.is_usable()
            raise
        except Exception:
            if not in_transaction and not read:
                self.possible = True
            raise
        if in_transaction or not read:
            self.possible = True
        return result


class ReconnectMiddleware:
    """Retry a view once on a new connection when its connection was lost harmlessly."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        changes = _Changes()
        request._database_changes = changes
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(changes):
            return self.get_response(request)

    def process_exception(self, request, exception):
        changes = getattr(request, "_database_changes", None)
        if (
            changes is None
            or not changes.lost
            or changes.possible
            or not isinstance(exception, (OperationalError, InterfaceError))
            or getattr(request, "_database_retried", False)
            or request.resolver_match is None
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return None
        request._database_retried = True
        changes.lost = False
        logger.warning(
            "database connection lost during %s %s (%s): trying the request again",
            request.method,
            request.path,
            type(exception).__name__,
        )
        connections[DEFAULT_DB_ALIAS].close()
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response
