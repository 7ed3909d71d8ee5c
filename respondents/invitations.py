"""Inviting a panel file: check it, invite its members in batches, write their links.

A panel file of 200,000 members once took 757 MB, read whole and held as objects three
times over; here it is read as a stream (respondents.panel), invited a batch at a time
in one transaction (all or nothing, as before), and each batch's links are written as
it goes. The links file is for people to open in a spreadsheet: a panel id from outside
is neutralised like a dataset's texts (fieldwork.formulas).
"""

from __future__ import annotations

import csv
import os
import secrets
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.db import transaction

from fieldwork.formulas import neutralise
from respondents.panel import PanelCheck, PanelFile
from respondents.services import panel_invite
from surveys.models import Survey

BATCH = 2000


@dataclass
class InviteResult:
    check: PanelCheck
    new: int
    respondent_ids: list[int] = field(default_factory=list)


def panel_file_invite(
    survey: Survey, path: str | Path, out: str | Path | None, base_url: str
) -> InviteResult:
    """Invite every member of the panel file at `path`, writing panel_id,link to `out`
    (when given).

    Nobody is invited from a file with a bad line (PanelFileError lists them), and the
    links file appears only once every member is invited: it is written beside `out`
    and moved into place after the transaction commits.
    """
    panel = PanelFile(survey, path)
    check = panel.check()
    base = base_url.rstrip("/")
    new = 0
    ids: list[int] = []
    if out is None:
        with transaction.atomic():
            members = panel.members()
            while batch := list(islice(members, BATCH)):
                respondents, created = panel_invite(survey, batch)
                new += created
                ids += [r.pk for r in respondents]
        return InviteResult(check, new, ids)
    out = Path(out)
    temporary = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
    try:
        with temporary.open("w", newline="", encoding="utf-8") as handle, transaction.atomic():
            writer = csv.writer(handle)
            writer.writerow(["panel_id", "link"])
            members = panel.members()
            while batch := list(islice(members, BATCH)):
                respondents, created = panel_invite(survey, batch)
                new += created
                ids += [r.pk for r in respondents]
                writer.writerows(
                    [neutralise(r.panel_id), base + r.get_absolute_url()] for r in respondents
                )
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return InviteResult(check, new, ids)
