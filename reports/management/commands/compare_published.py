from django.core.management.base import BaseCommand, CommandError

from reports.toplines import compare_published
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = "Put each published figure of the 2024 study beside the one measured here."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        rows = compare_published(survey)
        if not rows:
            raise CommandError(f"no published figures are known for '{slug}'")
        self.stdout.write(
            f"{'figure':7} {'published':>15} {'measured':>9} {'± 95%':>7} {'n':>6}  inside"
        )
        for row in rows:
            self.stdout.write(
                f"{row.id:7} {row.published:>15} {row.measured:>8.1%} {row.margin:>7.1%} "
                f"{row.base:>6}  {'yes' if row.inside else 'NO'}  {row.text}"
            )
        inside = sum(row.inside for row in rows)
        style = self.style.SUCCESS if inside == len(rows) else self.style.WARNING
        self.stdout.write(
            style(f"{slug}: {inside} of {len(rows)} figures inside the margin of error")
        )
