from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from integrations.models import Webhook
        from integrations.providers import exit_url
        from integrations.views import dashboard_section
        from integrations.webhooks import deliveries_create, survey_changed
        from reports import sections
        from respondents import announcements, exits

        # The survey's dashboard page shows the providers' outcomes; reports never imports
        # this app.
        sections.register(dashboard_section)

        # A provider's respondent goes back to the provider when their submission ends.
        exits.register(exit_url)

        # respondents announces verdicts; it never imports this app.
        announcements.subscribe(deliveries_create)
        for signal in (post_save, post_delete):
            signal.connect(survey_changed, sender=Webhook, dispatch_uid="webhooks.survey_changed")
