from django.core.management.base import BaseCommand, CommandError

from fieldwork.errors import Refused
from reports.weighting import rake
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = "Rake a survey's valid submissions to its population margins and store the weights."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        try:
            report = rake(survey)
        except Refused as exc:
            raise CommandError("cannot weight: " + "; ".join(exc.errors)) from exc
        for line in report.lines():
            self.stdout.write(line)
        for margin in report.margins:
            for category, target, unweighted, weighted in margin.rows:
                self.stdout.write(
                    f"    {margin.variable}={category}: target {target:.2%}, "
                    f"sample {unweighted:.2%}, weighted {weighted:.2%}"
                )
        if not report.converged:
            raise CommandError(
                f"{slug}: raking did not converge (largest margin error {report.max_error:.4%}); "
                "no weights stored"
            )
