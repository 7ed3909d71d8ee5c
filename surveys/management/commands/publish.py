from django.core.management.base import BaseCommand, CommandError

from surveys.commands import survey_or_error
from surveys.errors import SurveyError
from surveys.models import Survey
from surveys.preflight import survey_preflight
from surveys.services import survey_set_status


class Command(BaseCommand):
    help = (
        "Run a survey's pre-flight check and take it live; with --check, only say what the "
        "check finds."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the survey's slug")
        parser.add_argument(
            "--check", action="store_true", help="run the check only; change nothing"
        )

    def handle(self, slug, check, **options):
        survey = survey_or_error(slug)
        report = survey_preflight(survey)
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        if check:
            if not report.ready:
                raise CommandError(f"{slug} cannot go live yet:\n  " + "\n  ".join(report.errors))
            self.stdout.write(self.style.SUCCESS(f"{slug}: ready to go live"))
            return
        if survey.status == Survey.Status.LIVE:
            self.stdout.write(f"{slug}: already live")
            return
        try:
            survey_set_status(survey, Survey.Status.LIVE)
        except SurveyError as exc:
            raise CommandError(f"{slug} was not published:\n  " + "\n  ".join(exc.errors)) from None
        self.stdout.write(self.style.SUCCESS(f"{slug}: live"))
