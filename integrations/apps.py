from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from integrations.webhooks import deliveries_create
        from respondents.signals import submission_judged

        # respondents announces verdicts; it never imports this app.
        submission_judged.connect(deliveries_create, dispatch_uid="integrations.webhooks")
