"""Who may see which survey's dashboard, review queue and exports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey


class Assignment(models.Model):
    """A user assigned to a survey: they see it, as far as their role allows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "survey"], name="one_assignment_per_survey")
        ]
        permissions = [
            ("view_dashboard", _("Can see the fieldwork dashboard of assigned surveys")),
            ("review_submissions", _("Can review and override quality-control verdicts")),
            ("export_data", _("Can export the data of assigned surveys")),
            ("see_all_surveys", _("Can see every survey without being assigned")),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.survey}"
