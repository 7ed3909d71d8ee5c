import csv
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from respondents.panel import PanelFileError, read_panel_file
from respondents.services import panel_invite
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = "Invite panel members from a CSV file and write their personal links."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the survey's slug")
        parser.add_argument(
            "--panel",
            required=True,
            help="CSV with a panel_id column, optionally language, and known variables "
            "named after the survey's questions (region, age, gender, ...)",
        )
        parser.add_argument("--out", required=True, help="CSV to write: panel_id,link")
        parser.add_argument(
            "--base-url",
            default=os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
            help="where respondents reach this server (default: $SITE_URL or %(default)s)",
        )

    def handle(self, slug, panel, out, base_url, **options):
        survey = survey_or_error(slug)
        try:
            members = read_panel_file(survey, panel)
        except PanelFileError as exc:
            raise CommandError(
                f"{panel} was not imported; nobody was invited:\n  " + "\n  ".join(exc.errors)
            ) from None
        respondents, new = panel_invite(survey, members)
        base = base_url.rstrip("/")
        try:
            with Path(out).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["panel_id", "link"])
                for respondent in respondents:
                    writer.writerow([respondent.panel_id, base + respondent.get_absolute_url()])
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{slug}: {len(respondents)} members, {new} newly invited; links in {out}"
            )
        )
