"""Drop the validation's PostgreSQL functions: every verdict is recorded by the plain SQL of
`respondents.verdicts`, on every database (ADR 0017). Reversing installs the functions of
0003 again, which nothing calls.
"""

import importlib

from django.db import migrations

NAMES = ("respondents_submission_to_judge", "respondents_record_verdict")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # Every signature ever installed under these names.
        cursor.execute(
            "SELECT oid::regprocedure::text FROM pg_proc WHERE proname = ANY(%s)", [list(NAMES)]
        )
        signatures = [row[0] for row in cursor.fetchall()]
    for signature in signatures:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {signature}")


def create(apps, schema_editor):
    earlier = importlib.import_module("respondents.migrations.0003_validation_functions")
    earlier.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("respondents", "0008_merge_20261205_1612")]

    operations = [migrations.RunPython(drop, create)]
