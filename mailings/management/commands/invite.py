import os

from django.core.management.base import BaseCommand, CommandError

from fieldwork.errors import Refused
from mailings import services
from respondents.invitations import panel_file_invite
from respondents.panel import PanelFileError
from surveys.commands import survey_or_error


class Command(BaseCommand):
    help = (
        "Invite panel members from a CSV file and write their personal links; with --send, "
        "e-mail the invitation to those with an e-mail address."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the survey's slug")
        parser.add_argument(
            "--panel",
            required=True,
            help="CSV with a panel_id column, optionally language, and known variables "
            "named after the survey's questions (region, age, gender, ...)",
        )
        parser.add_argument("--out", help="CSV to write: panel_id,link")
        parser.add_argument(
            "--send",
            action="store_true",
            help="e-mail the invitation (in each member's language) to the members of the "
            "file with an e-mail address, not e-mailed before, at the survey's rate",
        )
        parser.add_argument(
            "--base-url",
            default=os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
            help="where respondents reach this server (default: $SITE_URL or %(default)s)",
        )

    def handle(self, slug, panel, out, base_url, send, **options):
        if not out and not send:
            raise CommandError("say what to do with the invited: --out links.csv, --send, or both")
        survey = survey_or_error(slug)
        try:
            result = panel_file_invite(survey, panel, out, base_url)
        except PanelFileError as exc:
            raise CommandError(
                f"{panel} was not imported; nobody was invited:\n  " + "\n  ".join(exc.errors)
            ) from None
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
        if result.check.ineligible_count:
            self.stdout.write(
                f"{result.check.ineligible_count:,} members are ineligible by what the panel "
                "knows of them; invited, their links end at once as screened out:"
            )
            for line, panel_id, question in result.check.ineligible:
                self.stdout.write(f"  line {line}: {panel_id} (screening of {question})")
            if result.check.ineligible_count > len(result.check.ineligible):
                rest = result.check.ineligible_count - len(result.check.ineligible)
                self.stdout.write(f"  ... and {rest:,} more")
        where = f"; links in {out}" if out else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{slug}: {result.check.members} members, {result.new} newly invited{where}"
            )
        )
        if send:
            try:
                wave = services.invitations_send(
                    survey,
                    result.respondent_ids,
                    f"manage.py invite --panel {os.path.basename(panel)}",
                )
            except Refused as exc:
                raise CommandError("; ".join(exc.errors)) from None
            if wave is None:
                self.stdout.write("nobody to e-mail (no address, e-mailed before, opted out...)")
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"wave {wave.number}: {wave.sends.count()} invitations queued for sending"
                    )
                )
