from django.core.management.base import BaseCommand, CommandError

from respondents.stats import recount
from surveys.models import Survey


class Command(BaseCommand):
    help = "Rebuild a survey's fieldwork counts from its submissions (a repair tool)."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, slug, **options):
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"there is no survey '{slug}'")
        counts = recount(survey)
        self.stdout.write(
            self.style.SUCCESS(
                f"{slug}: invited {counts.invited}, started {counts.started}, "
                f"completed {counts.completed}, valid {counts.valid}, invalid {counts.invalid}"
            )
        )
