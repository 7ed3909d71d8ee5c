from django.core.management.base import BaseCommand

from respondents.stats import recount
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = "Rebuild a survey's fieldwork counts from its submissions (a repair tool)."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        counts = recount(survey)
        self.stdout.write(
            self.style.SUCCESS(
                f"{slug}: invited {counts.invited}, started {counts.started}, "
                f"completed {counts.completed}, valid {counts.valid}, invalid {counts.invalid}"
            )
        )
