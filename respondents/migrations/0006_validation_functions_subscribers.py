"""Installed the validation's functions again, reading the survey's subscribers version.

The functions this installed are dropped by 0009 (ADR 0017: one verdict path, plain SQL);
this step is kept, doing nothing, so the migration graph stays as databases recorded it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("respondents", "0005_validation_functions_from_file"),
        ("surveys", "0006_survey_subscribers_version"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
