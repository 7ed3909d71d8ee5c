"""Model instances from hand-written SQL, for the few statements every request runs.

Building a statement with the ORM costs a respondent's page more than running it (~0.8 ms
to compile a three-table select that PostgreSQL answers in ~0.2 ms; see ADR 0011 for the
same finding in validation). These helpers let a hot path write its SQL by hand yet
still get ordinary model instances, with every column converted exactly as the ORM
converts it (JSON, dates and times on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

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
