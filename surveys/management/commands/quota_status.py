import json

from django.core.management.base import BaseCommand

from surveys.commands import survey_or_error
from surveys.selectors import quota_table

COLUMNS = ("cell", "target", "confirmed", "reserved", "released", "state")


class Command(BaseCommand):
    help = "Show each quota cell of a survey: target, confirmed, reserved, released, state."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, slug, **options):
        survey = survey_or_error(slug)
        rows = quota_table(survey)
        if options["json"]:
            self.stdout.write(_dumps({"survey": slug, "status": survey.status, "cells": rows}))
            return
        widths = {
            c: max(len(c), *(len(str(r[c])) for r in rows)) if rows else len(c) for c in COLUMNS
        }
        line = "  ".join(
            f"{{{c}:{'<' if c in ('cell', 'state') else '>'}{widths[c]}}}" for c in COLUMNS
        )
        self.stdout.write(line.format(**{c: c for c in COLUMNS}))
        for row in rows:
            self.stdout.write(line.format(**row))
        totals = {
            c: sum(r[c] for r in rows) for c in ("target", "confirmed", "reserved", "released")
        }
        self.stdout.write(line.format(cell="total", state=survey.status, **totals))


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
