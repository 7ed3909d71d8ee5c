from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mailings"
    verbose_name = _("Mailings")

    def ready(self) -> None:
        from mailings.services import mailing_copy
        from surveys import waves

        # A new wave keeps the messages and their schedule; surveys never imports this app.
        waves.register(mailing_copy)
