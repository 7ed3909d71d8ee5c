from django.core.management.base import BaseCommand, CommandError

from surveys.errors import SurveyError
from surveys.services import survey_import_xlsform


class Command(BaseCommand):
    help = "Import an XLSForm (.xlsx, .xls or .csv) as a survey, or update its draft."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the XLSForm file")
        parser.add_argument("--slug", required=True, help="the survey's slug (its short name)")
        parser.add_argument(
            "--skip-unsupported",
            action="store_true",
            help="import what this system supports and list what was left out",
        )

    def handle(self, path, slug, skip_unsupported, **options):
        try:
            result = survey_import_xlsform(path, slug, skip_unsupported=skip_unsupported)
        except SurveyError as exc:
            raise CommandError(
                f"{path} was not imported; nothing was changed:\n  " + "\n  ".join(exc.errors)
            ) from None
        for line in result.skipped:
            self.stdout.write(self.style.WARNING(f"skipped {line}"))
        for line in result.notes:
            self.stdout.write(f"note: {line}")
        survey = result.survey
        verb = "created" if result.created else "updated" if result.changed else "unchanged"
        self.stdout.write(
            self.style.SUCCESS(
                f"{survey.slug}: {verb}; {survey.questions.count()} questions on "
                f"{survey.pages.count()} pages in {', '.join(survey.languages)}"
            )
        )
