"""Test links: a respondent source of their own and a flag on their submissions.

The validation functions are installed again from respondents/sql/validation.sql: the
read now brings `is_test`, and the recording leaves a test submission to the general path,
which moves no count (ADR 0026). Reversing drops the column and installs the
functions of 0003 again, as reversing 0005 does.
"""

import importlib

from django.db import migrations, models


def install(apps, schema_editor):
    from respondents import functions

    functions.install(schema_editor)


def back(apps, schema_editor):
    from respondents import functions

    functions.drop(schema_editor)
    earlier = importlib.import_module("respondents.migrations.0003_validation_functions")
    earlier.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("respondents", "0005_validation_functions_from_file")]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="is_test",
            field=models.BooleanField(default=False, editable=False, verbose_name="test"),
        ),
        migrations.AlterField(
            model_name="respondent",
            name="source",
            field=models.CharField(
                choices=[("panel", "Panel invitation"), ("open", "Open link"), ("test", "Test link")],
                default="panel",
                max_length=10,
            ),
        ),
        migrations.RunPython(install, back),
    ]
