"""Installed the validation's PostgreSQL functions from a file (respondents/sql, since removed).

The functions this installed are dropped by 0009 (ADR 0017: one verdict path, plain SQL);
this step is kept, doing nothing, so the migration graph stays as databases recorded it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("respondents", "0004_submission_status_verdict_no_single_indexes")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
