from django.core.management.base import BaseCommand, CommandError

from surveys.demo import demo_load
from surveys.xlsform.reader import XLSFormError


class Command(BaseCommand):
    help = "Load the 2024 China–Kazakhstan study (both editions, with quota cells)."

    def handle(self, **options):
        try:
            results = demo_load()
        except XLSFormError as exc:
            raise CommandError("the demo was not loaded:\n  " + "\n  ".join(exc.errors)) from None
        for result in results:
            survey = result.survey
            cells = survey.quota_cells.all()
            self.stdout.write(
                self.style.SUCCESS(
                    f"{survey.slug}: {survey.display_title} — target {survey.sample_target:,} "
                    f"in {len(cells)} cells, languages {', '.join(survey.languages)}, "
                    f"{survey.get_status_display().lower()}"
                )
            )
