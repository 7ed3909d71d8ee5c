"""Model instances from hand-written SQL, for the few statements every request runs.

Building a statement with the ORM costs a respondent's page more than running it (~0.8 ms
to compile a three-table select that PostgreSQL answers in ~0.2 ms; see ADR 0011 for the
same finding in validation). These helpers let a hot path write its SQL by hand yet
still get ordinary model instances, with every column converted exactly as the ORM
converts it (JSON, dates and times on SQLite and PostgreSQL alike).

`run` sends a list of such statements in one round trip, each planned once per
connection (ADR 0017).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)


def columns(model: type[Model], alias: str) -> str:
    """Return `alias.column, ...` for every concrete field of `model`, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    """Return how many columns `columns(model, ...)` selects."""
    return len(model._meta.concrete_fields)


@lru_cache(maxsize=32)
def _converters(model: type[Model], ops: BaseDatabaseOperations) -> tuple[tuple[tuple, Col], ...]:
    # What the ORM's compiler applies to each column read; keyed by the connection's
    # operations object, since each thread has its own connection.
    found = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        converters = (*ops.get_db_converters(column), *field.get_db_converters(ops.connection))
        found.append((converters, column))
    return tuple(found)


def instance(model: type[M], values: Sequence[Any]) -> M:
    """Return a `model` instance from the values of `columns(model, ...)`, as the ORM would."""
    converted = []
    for (converters, column), value in zip(_converters(model, connection.ops), values, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, None, converted)


def partial_instance(model: type[M], columns: Mapping[str, Any]) -> M:
    """Return a `model` instance from some of its columns (by attname), as the ORM would.

    The fields not given are deferred: they load on access, as with `only()`.
    """
    names, converted = [], []
    fields = model._meta.concrete_fields
    for field, (converters, column) in zip(fields, _converters(model, connection.ops), strict=True):
        if field.attname in columns:
            value = columns[field.attname]
            for converter in converters:
                value = converter(value, column, connection)
            names.append(field.attname)
            converted.append(value)
    return model.from_db(connection.alias, names, converted)


def prepared(model: type[Model], name: str, value: Any) -> Any:
    """Return `value` as the database takes it for field `name` (JSON adapted, dates...)."""
    return model._meta.get_field(name).get_db_prep_save(value, connection)


Statement = tuple[str, Sequence[Any]]

# What PostgreSQL's PREPARE takes; anything else (SET LOCAL ...) is sent as written.
_PREPARABLE = ("SELECT", "INSERT", "UPDATE", "DELETE")


@dataclasses.dataclass
class _Prepared:
    """The statements prepared on one database session, by name."""

    session: Any  # the DB-API connection they were prepared on
    names: set[str] = dataclasses.field(default_factory=set)
    # A batch failed part-way: which of its PREPAREs ran is unknown.
    unsure: bool = False


def _prepared() -> _Prepared:
    state = getattr(connection, "_plainsql_prepared", None)
    if state is None or state.session is not connection.connection:
        state = _Prepared(connection.connection)
        connection._plainsql_prepared = state
    return state


def _name(sql: str) -> str:
    return "plainsql_" + hashlib.sha1(sql.encode()).hexdigest()[:16]


def _numbered(sql: str) -> str:
    """`sql` with its `%s` placeholders numbered as PREPARE wants them ($1, $2...)."""
    parts = sql.split("%s")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


def run(statements: Sequence[Statement]) -> tuple[int, list[tuple]]:
    """Run `statements` in order, in the caller's transaction; return the last one's row
    count and rows.

    On PostgreSQL they go in one round trip (psycopg2 sends a string of statements as one
    query), each as the EXECUTE of a statement prepared once per session: planning a
    statement cost more than running it (a three-table read with its earlier rows: ~1.1
    ms to plan, ~0.2 ms to run). SQLite runs them one by one; Python's sqlite3 keeps each
    compiled already. Statements use `%s` placeholders and no literal `%`.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for sql, params in statements:
                cursor.execute(sql, params)
        else:
            state = _prepared()
            parts: list[str] = ["DEALLOCATE ALL"] if state.unsure else []
            values: list[Any] = []
            new: set[str] = set()
            for sql, params in statements:
                values += params
                if not sql.lstrip().upper().startswith(_PREPARABLE):
                    parts.append(sql)
                    continue
                name = _name(sql)
                if name not in state.names and name not in new:
                    parts.append(f"PREPARE {name} AS {_numbered(sql)}")
                    new.add(name)
                placeholders = ", ".join(["%s"] * len(params))
                parts.append(f"EXECUTE {name}({placeholders})" if params else f"EXECUTE {name}")
            try:
                cursor.execute(";\n".join(parts), values)
            except Exception:
                state.names.clear()
                state.unsure = True
                raise
            if state.unsure:
                state.names.clear()
                state.unsure = False
            state.names |= new
        rows = cursor.fetchall() if cursor.description else []
        return cursor.rowcount, rows
