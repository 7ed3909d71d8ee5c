import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from reports.access import FIELD_MANAGERS, INTERVIEWERS, VIEWERS
from reports.models import Assignment
from surveys.models import Survey

# (username, role, surveys assigned)
DEMO_USERS = (
    ("manager", FIELD_MANAGERS, ["gt2024-kazakhstan"]),
    ("viewer", VIEWERS, ["gt2024-kazakhstan", "gt2024-china"]),
    ("interviewer", INTERVIEWERS, ["gt2024-kazakhstan"]),
)


class Command(BaseCommand):
    help = "Create one demo login per role (field manager, viewer, interviewer); print them."

    def handle(self, **options):
        if not settings.DEBUG:
            raise CommandError("demo_users only runs with DEBUG on")
        folder = settings.BASE_DIR / "var"
        folder.mkdir(exist_ok=True)
        User = get_user_model()
        for username, role, slugs in DEMO_USERS:
            password_file = folder / f"{username}-password"
            password = password_file.read_text().strip() if password_file.exists() else ""
            user, _ = User.objects.get_or_create(username=username)
            if not password or not user.check_password(password):
                password = secrets.token_urlsafe(9)
                password_file.write_text(password + "\n")
                password_file.chmod(0o600)
                user.set_password(password)
                user.save()
            user.groups.set([Group.objects.get(name=role)])
            for survey in Survey.objects.filter(slug__in=slugs):
                Assignment.objects.get_or_create(user=user, survey=survey)
            self.stdout.write(
                self.style.SUCCESS(f"{role}: {username} / {password}  ({', '.join(slugs)})")
            )
        self.stdout.write("Field managers and viewers log in at /manage/.")
        self.stdout.write("Interviewers point ODK Collect at /openrosa/ (README, Field teams).")
