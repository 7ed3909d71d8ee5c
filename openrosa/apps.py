from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenrosaConfig(AppConfig):
    name = "openrosa"
    verbose_name = _("Interviewers' tablets (OpenRosa)")
    default_auto_field = "django.db.models.BigAutoField"
