import datetime

from django.core.management.base import BaseCommand, CommandError

from audit import services as audit
from reports.exports import export_build
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = "Export a survey's dataset (CSV, XLSX, SPSS .sav) or its codebook (HTML or CSV)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx", "sav", "codebook"])
        parser.add_argument("--output", required=True)
        parser.add_argument(
            "--lang", default=None, help="language of labels (default: the survey's)"
        )
        parser.add_argument("--labels", action="store_true", help="CSV/XLSX: labels, not codes")
        parser.add_argument("--all", action="store_true", help="every submission, not only valid")
        parser.add_argument("--identifiers", action="store_true", help="add panel id and IP hash")
        parser.add_argument("--bom", action="store_true", help="CSV: a byte-order mark for Excel")
        parser.add_argument("--since", type=datetime.date.fromisoformat)
        parser.add_argument("--until", type=datetime.date.fromisoformat)
        parser.add_argument("--cell", default="")
        parser.add_argument(
            "--include-test",
            action="store_true",
            help="add test links' submissions, with a column 'test' (never by default)",
        )

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        notes: list[str] = []
        try:
            count = export_build(
                survey,
                options["format"],
                options["output"],
                language=options["lang"],
                labels=options["labels"],
                valid_only=not options["all"],
                identifiers=options["identifiers"],
                bom=options["bom"],
                since=options["since"],
                until=options["until"],
                cell=options["cell"],
                notes=notes,
                include_test=options["include_test"],
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        audit.record(
            audit.Action.EXPORT,
            survey=survey,
            target=f"{options['format']} export to {options['output']}",
            details={
                "format": options["format"],
                "language": options["lang"],
                "labels": options["labels"],
                "all": options["all"],
                "identifiers": options["identifiers"],
                "include_test": options["include_test"],
                "rows": count,
                "labels_shortened": len(notes),
            },
        )
        for note in notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(
            self.style.SUCCESS(f"{slug}: {count} respondents written to {options['output']}")
        )
