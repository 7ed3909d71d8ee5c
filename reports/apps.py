from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from reports.access import roles_ensure
        from reports.assignments import assignments_copy
        from surveys import waves

        # After Django has created the permissions (its own post_migrate handler).
        post_migrate.connect(roles_ensure, sender=self)
        # A new wave keeps its field team (interviewers included).
        waves.register(assignments_copy)
