import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the local administrator login for trying the system, and print it."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, username, **options):
        if not settings.DEBUG:
            raise CommandError("local_admin only runs with DEBUG on; use createsuperuser")
        password_file = settings.BASE_DIR / "var" / "local-admin-password"
        password_file.parent.mkdir(exist_ok=True)
        User = get_user_model()
        # The administrator role: every survey, every action (and the Django admin).
        user = User.objects.filter(username=username).first()
        password = password_file.read_text().strip() if password_file.exists() else ""
        if user is None or not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
            if user is None:
                User.objects.create_superuser(username, password=password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Local admin login: {username} / {password}  "
                "(log in at /admin/; the password is kept in var/local-admin-password)"
            )
        )
