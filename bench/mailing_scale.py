"""Panel upload, sending and the panel page at scale (issue 18), as ratios.

- upload: a 20,000-member panel file through the browser's service (mailings.panel_upload)
  against the command line's (respondents.invitations.panel_file_invite) on the same file;
- sending: a wave of 5,000 invitations created, each claimed, checked, rendered,
  handed to Django's memory backend (unpaced) and recorded, against the backend alone
  sending 5,000 ready-made messages: the cost of "once" (claim, checks, record);
- the panel page (20,000 members, statuses computed in the query) against the survey's
  dashboard page, and with a status filter.

    .venv/bin/python bench/mailing_scale.py

Needs the machine's PostgreSQL; uses (and recreates) the database fieldwork_bench_mailing.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "fieldwork_bench_mailing"
MEMBERS = 20_000
SENDS = 5_000


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.submissions import database_recreate, django_setup

    database_recreate(NAME)
    django_setup(NAME)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core import mail
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.mail import EmailMessage
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from mailings import sending, services
    from mailings.panel_upload import panel_upload
    from respondents.invitations import panel_file_invite
    from respondents.models import Respondent
    from surveys.models import Survey

    settings.ALLOWED_HOSTS = ["*"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    survey = Survey.objects.get(slug="gt2024-kazakhstan")
    regions = ["almaty_city", "astana", "shymkent", "karaganda", "turkestan"]

    def panel(prefix: str) -> bytes:
        lines = ["panel_id,language,email,name,region,age,gender"]
        for n in range(MEMBERS):
            lines.append(
                f"{prefix}{n},{'ru' if n % 2 else 'kk'},m{prefix}{n}@example.org,Name {n},"
                f"{regions[n % 5]},{18 + n % 50},{'female' if n % 2 else 'male'}"
            )
        return ("\n".join(lines) + "\n").encode()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cli.csv"
        path.write_bytes(panel("c-"))
        start = time.perf_counter()
        panel_file_invite(survey, path, Path(folder) / "links.csv", "http://x")
        cli = time.perf_counter() - start
    data = panel("w-")
    start = time.perf_counter()
    panel_upload(survey, SimpleUploadedFile("panel.csv", data))
    web = time.perf_counter() - start
    print(
        f"upload of {MEMBERS:,} members: command line {cli:.1f} s, browser's {web:.1f} s, "
        f"ratio {web / cli:.2f}"
    )

    ready = [
        EmailMessage("Subject", "Body " * 80, "a@example.org", [f"m{n}@example.org"])
        for n in range(SENDS)
    ]
    start = time.perf_counter()
    backend = mail.get_connection()
    for message in ready:
        backend.send_messages([message])
    alone = time.perf_counter() - start
    ids = list(
        Respondent.objects.filter(survey=survey, panel_id__startswith="w-")
        .order_by("pk")
        .values_list("pk", flat=True)[:SENDS]
    )
    # Without a broker the wave is sent as it commits (the task runs in process): the
    # time is the wave's creation and every message's claim, checks, sending and record.
    start = time.perf_counter()
    services.invitations_send(survey, ids)
    while sending.survey_send_due(survey.pk, budget=600) is not None:
        pass
    claimed = time.perf_counter() - start
    assert len(mail.outbox) == 2 * SENDS
    print(
        f"{SENDS:,} messages: backend alone {alone:.1f} s ({SENDS / alone:,.0f}/s), "
        f"claimed and recorded {claimed:.1f} s ({SENDS / claimed:,.0f}/s), "
        f"ratio {claimed / alone:.1f}"
    )

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after so many new rows
    user = User.objects.create_superuser("bench", password="bench-password-1")
    client = Client()
    client.force_login(user)

    def timed(url: str) -> float:
        samples = []
        for _ in range(10):
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    dashboard = timed(f"/manage/{survey.slug}/")
    page = timed(f"/manage/{survey.slug}/panel/")
    filtered = timed(f"/manage/{survey.slug}/panel/?status=emailed&page=20")
    print(
        f"panel page with {2 * MEMBERS:,} members: {page * 1000:.0f} ms "
        f"(filtered, page 20: {filtered * 1000:.0f} ms) against the dashboard's "
        f"{dashboard * 1000:.0f} ms: ratio {page / dashboard:.1f}"
    )


if __name__ == "__main__":
    main()
