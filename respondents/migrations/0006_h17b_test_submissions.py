"""Test links: a respondent source of their own and a flag on their submissions.

This step also installed the validation functions again (reading `is_test`); they are
dropped by 0009 (ADR 0017: one verdict path, plain SQL), and that step now does nothing.
"""

from django.db import migrations, models


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
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
