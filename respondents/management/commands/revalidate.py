from django.core.management.base import BaseCommand

from respondents.models import Submission
from respondents.validation import submission_validate
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = "Run quality control again over every completed submission of a survey."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        ids = Submission.objects.filter(
            survey=survey, status=Submission.Status.COMPLETED
        ).values_list("pk", flat=True)
        counts: dict[str, int] = {}
        for submission_id in ids.iterator():
            verdict = submission_validate(submission_id, force=True).verdict
            counts[verdict] = counts.get(verdict, 0) + 1
        summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
        self.stdout.write(
            self.style.SUCCESS(f"{slug}: revalidated {sum(counts.values())}: {summary}")
        )
