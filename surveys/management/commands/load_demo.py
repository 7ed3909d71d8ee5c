from django.core.management.base import BaseCommand, CommandError

from surveys.demo import demo_load
from surveys.errors import SurveyError


class Command(BaseCommand):
    help = "Load the 2024 China–Kazakhstan study (both editions, with quota cells)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo surveys and all their respondents first",
        )

    def handle(self, reset, **options):
        try:
            results = demo_load(reset=reset)
        except SurveyError as exc:
            raise CommandError("the demo was not loaded:\n  " + "\n  ".join(exc.errors)) from None
        for result in results:
            survey = result.survey
            for note in result.notes:
                self.stdout.write(self.style.WARNING(f"note: {note}"))
            cells = survey.quota_cells.all()
            self.stdout.write(
                self.style.SUCCESS(
                    f"{survey.slug}: {survey.display_title} — target {survey.sample_target:,} "
                    f"in {len(cells)} cells, languages {', '.join(survey.languages)}, "
                    f"{survey.get_status_display().lower()}"
                )
            )
