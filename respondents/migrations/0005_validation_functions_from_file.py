"""Install the validation's PostgreSQL functions from respondents/sql/validation.sql.

From here on the file is the source (ADR 0017); `respondents_record_verdict` now says
what it did as text ('general', 'recorded', 'closed') instead of a number meaning three
things. Reversing installs the functions of 0003 again.
"""

import importlib

from django.db import migrations


def install(apps, schema_editor):
    from respondents import functions

    functions.install(schema_editor)


def back_to_0003(apps, schema_editor):
    from respondents import functions

    functions.drop(schema_editor)
    earlier = importlib.import_module("respondents.migrations.0003_validation_functions")
    earlier.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("respondents", "0004_submission_status_verdict_no_single_indexes")]

    operations = [migrations.RunPython(install, back_to_0003)]
