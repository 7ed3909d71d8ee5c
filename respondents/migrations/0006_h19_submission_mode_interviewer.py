"""Submissions say how they were answered (web, CAPI, API) and who interviewed.

This step also installed the validation functions again (reading the interviewer); they
are dropped by 0009 (ADR 0017: one verdict path, plain SQL), and that step now does
nothing.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("respondents", "0005_validation_functions_from_file"),
        ("surveys", "0005_survey_consent_and_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="interviewer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="interviews",
                to=settings.AUTH_USER_MODEL,
                verbose_name="interviewer",
            ),
        ),
        migrations.AddField(
            model_name="submission",
            name="mode",
            field=models.CharField(
                choices=[
                    ("web", "Web (self-completed)"),
                    ("capi", "Interviewer (CAPI, ODK Collect)"),
                    ("api", "API (collected elsewhere)"),
                ],
                default="web",
                max_length=5,
                verbose_name="mode",
            ),
        ),
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(
                fields=["survey", "interviewer", "status"], name="respondents_survey__cc027f_idx"
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
