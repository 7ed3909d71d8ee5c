"""The PostgreSQL functions of a validation: installed from `respondents/sql/validation.sql`.

The file is the source of what PostgreSQL runs (ADR 0017): a migration installs it, and a
test compares each function's body as installed with the file, so the two cannot drift
apart unnoticed. On any other database nothing is installed and validation records
statement by statement.
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "sql" / "validation.sql"
# Each function of the file: its name and its body (what PostgreSQL keeps as `prosrc`).
_FUNCTION = re.compile(
    r"CREATE OR REPLACE FUNCTION (?P<name>\w+)\(.*?\$\$(?P<body>.*?)\$\$;", re.DOTALL
)
# The signatures installed before, dropped first: a function's result type cannot be
# changed by CREATE OR REPLACE.
_DROP = (
    "DROP FUNCTION IF EXISTS respondents_submission_to_judge(bigint)",
    "DROP FUNCTION IF EXISTS respondents_record_verdict(bigint, bigint, varchar, varchar, "
    "varchar, jsonb, timestamptz, date, integer, integer, integer, jsonb, integer)",
)


def bodies() -> dict[str, str]:
    """Return each function's body as the file writes it, by name."""
    return {match["name"]: match["body"] for match in _FUNCTION.finditer(SOURCE.read_text("utf-8"))}


def install(schema_editor) -> None:
    """Install the file's functions (on PostgreSQL; elsewhere nothing)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in _DROP:
        schema_editor.execute(statement)
    schema_editor.execute(SOURCE.read_text("utf-8"))


def drop(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in _DROP:
            schema_editor.execute(statement)


def installed_bodies(connection) -> dict[str, str]:
    """Return the body of each of the file's functions as PostgreSQL holds it, by name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)", [list(bodies())]
        )
        return dict(cursor.fetchall())
