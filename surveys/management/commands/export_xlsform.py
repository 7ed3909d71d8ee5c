from django.core.management.base import BaseCommand, CommandError

from surveys.commands import survey_or_error
from surveys.selectors import survey_definition
from surveys.xlsform.writer import write_xlsform


class Command(BaseCommand):
    help = "Write a survey's questionnaire as an XLSForm (.xlsx, or .csv by the file name)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the survey's slug")
        parser.add_argument("path", help="the file to write (.xlsx or .csv)")

    def handle(self, slug, path, **options):
        survey = survey_or_error(slug)
        try:
            written = write_xlsform(survey_definition(survey), path)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
        self.stdout.write(self.style.SUCCESS(f"{slug}: written to {written}"))
