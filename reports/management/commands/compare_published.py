from django.core.management.base import BaseCommand, CommandError

from reports.published import agreement
from reports.toplines import compare_published
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = (
        "Put each published figure of the 2024 study beside the one measured here, with its "
        "z-score, the count outside against the count expected by chance, and one test of "
        "the whole set."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        rows = compare_published(survey)
        if not rows:
            raise CommandError(f"no published figures are known for '{slug}'")
        self.stdout.write(
            f"{'figure':7} {'published':>15} {'measured':>9} {'± 95%':>7} {'n':>6} {'z':>6}  inside"
        )
        for row in rows:
            self.stdout.write(
                f"{row.id:7} {row.published:>15} {row.measured:>8.1%} {row.margin:>7.1%} "
                f"{row.base:>6} {row.z:>6.2f}  {'yes' if row.inside else 'NO'}  {row.text}"
            )
        result = agreement([row.z for row in rows])
        style = self.style.WARNING if result.rejected else self.style.SUCCESS
        self.stdout.write(
            f"{slug}: {result.figures - result.outside} of {result.figures} figures inside "
            f"the margin of error; {result.outside} outside, about "
            f"{result.expected_outside:.1f} expected by chance alone"
        )
        self.stdout.write(
            style(
                f"the whole set: chi-square {result.chi_square:.1f} on {result.figures} "
                f"degrees of freedom, p = {result.p_value:.3f}: "
                + (
                    "further from the published figures than chance explains"
                    if result.rejected
                    else "no further from the published figures than chance explains"
                )
            )
        )
