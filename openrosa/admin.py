from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from openrosa.instances import instance_process_again
from openrosa.models import ReceivedInstance


@admin.register(ReceivedInstance)
class ReceivedInstanceAdmin(admin.ModelAdmin):
    list_display = ("received", "survey", "interviewer", "form_version", "state", "reason")
    list_filter = ("state", "survey")
    search_fields = ("instance_id", "interviewer__username", "reason")
    readonly_fields = [field.name for field in ReceivedInstance._meta.fields]
    actions = ["process_again"]

    def has_add_permission(self, request) -> bool:
        return False  # only tablets send instances

    @admin.action(description=_("Process again with the current questionnaire"))
    def process_again(self, request, queryset):
        accepted = sum(
            instance_process_again(instance).state == ReceivedInstance.State.ACCEPTED
            for instance in queryset.filter(state=ReceivedInstance.State.REJECTED)
        )
        self.message_user(
            request,
            ngettext(
                "%(n)d instance processed again and stored.",
                "%(n)d instances processed again and stored.",
                accepted,
            )
            % {"n": accepted},
            messages.SUCCESS,
        )
