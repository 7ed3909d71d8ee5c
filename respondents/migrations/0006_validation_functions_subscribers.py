"""Install the validation's functions again: the locked read brings the survey's
subscribers version (surveys 0006), so a webhook saved no longer moves the questionnaire's.

Reversing installs 0003's functions again, as reversing 0005 does, since the previous
text of respondents/sql/validation.sql is not kept; migrate back to 0005 and forward
again to have the file's functions.
"""

import importlib

from django.db import migrations


def install(apps, schema_editor):
    from respondents import functions

    functions.install(schema_editor)


def back(apps, schema_editor):
    from respondents import functions

    functions.drop(schema_editor)
    earlier = importlib.import_module("respondents.migrations.0003_validation_functions")
    earlier.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("respondents", "0005_validation_functions_from_file"),
        ("surveys", "0006_survey_subscribers_version"),
    ]

    operations = [migrations.RunPython(install, back)]
