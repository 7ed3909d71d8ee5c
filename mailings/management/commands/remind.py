from django.core.management.base import BaseCommand

from mailings import reminders, services
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = "Send the reminders of a survey that are due now (Celery beat does it regularly)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the survey's slug")

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        closed = reminders.survey_closed_reason(survey)
        if closed:
            self.stdout.write(f"{slug}: no reminders: {closed}")
            return
        wave = services.reminders_send(survey)
        if wave is None:
            self.stdout.write(f"{slug}: no reminders are due now")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{slug}: wave {wave.number}, {wave.sends.count()} reminders queued for sending"
            )
        )
