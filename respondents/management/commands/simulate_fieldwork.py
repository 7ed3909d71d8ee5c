import datetime

from django.core.management.base import BaseCommand, CommandError

from respondents.models import Submission
from respondents.simulation import simulate_fieldwork
from surveys.commands import survey_or_error
from surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Send synthetic panel members through a live survey, through the same services "
        "and validation as people (for demos, load tests and rehearsals)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--respondents", type=int, required=True)
        parser.add_argument("--seed", type=int, default=None, help="repeat a run exactly")
        parser.add_argument(
            "--window",
            nargs=2,
            type=datetime.date.fromisoformat,
            metavar=("START", "END"),
            help="spread the interviews over these fieldwork dates (YYYY-MM-DD) instead of "
            "the survey's, up to now if END is later",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the survey already has submissions (for make run)",
        )

    def handle(self, slug, respondents, seed, if_empty, window, **options):
        survey = survey_or_error(slug)
        if survey.status != Survey.Status.LIVE:
            raise CommandError(f"survey '{slug}' is {survey.status}, not live")
        if respondents < 1:
            raise CommandError("--respondents must be at least 1")
        if if_empty and Submission.objects.filter(survey=survey).exists():
            self.stdout.write(f"{slug}: already has submissions; nothing simulated")
            return
        try:
            outcome = simulate_fieldwork(survey, respondents, seed=seed, window=window)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(outcome.statuses.items()))
        behaviours = ", ".join(f"{n} {b}" for b, n in sorted(outcome.behaviours.items()))
        self.stdout.write(self.style.SUCCESS(f"{slug}: {respondents} respondents: {statuses}"))
        self.stdout.write(f"  behaviours: {behaviours}")
