from django.core.management.base import BaseCommand, CommandError

from api.tokens import token_for_username


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What or who uses the token.")

    def handle(self, *args, username, name, **options):
        try:
            token, key = token_for_username(username, name)
        except LookupError:
            raise CommandError(f"no user is called {username!r}") from None
        self.stderr.write(f"token {token.prefix}… for {token.user.username}; keep the key secret:")
        self.stdout.write(key)
