"""Submissions say how they were answered (web, CAPI, API) and who interviewed.

The validation's read (`respondents_submission_to_judge`) now brings the interviewer too,
which the interviewer rules need: the functions are installed again from the file.
Reversing installs them without that column.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def install(apps, schema_editor):
    from respondents import functions

    functions.install(schema_editor)


def install_without_interviewer(apps, schema_editor):
    from respondents import functions

    if schema_editor.connection.vendor != "postgresql":
        return
    source = functions.SOURCE.read_text("utf-8")
    source = source.replace("    interviewer_id integer,\n", "")
    source = source.replace("\n        s.interviewer_id, r.known,", " r.known,")
    functions.drop(schema_editor)
    schema_editor.execute(source)


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
        migrations.RunPython(install, install_without_interviewer),
    ]
