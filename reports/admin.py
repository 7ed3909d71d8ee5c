from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from fieldwork.errors import Refused
from reports.models import Assignment
from reports.weighting import rake
from surveys.admin import WeightingSchemeAdmin


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "survey")
    list_filter = ("survey",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)


@admin.action(
    description=_("Rake the valid submissions to these margins and store weights"),
    permissions=["change"],
)
def rake_now(modeladmin, request, queryset):
    """A weighting scheme's button for raking, which belongs here, not to surveys."""
    for scheme in queryset.select_related("survey"):
        try:
            report = rake(scheme.survey)
        except Refused as exc:
            modeladmin.message_user(
                request,
                _("%(survey)s cannot be weighted: %(errors)s")
                % {"survey": scheme.survey.slug, "errors": "; ".join(exc.errors)},
                messages.ERROR,
            )
            continue
        modeladmin.message_user(
            request,
            " ".join(report.lines()),
            messages.SUCCESS if report.converged else messages.ERROR,
        )


WeightingSchemeAdmin.actions = [*WeightingSchemeAdmin.actions, rake_now]
