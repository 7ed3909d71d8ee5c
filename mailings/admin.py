from django.contrib import admin

from mailings.models import MailingSchedule, MessageTemplate, OptOut, Send, Wave


@admin.register(MailingSchedule)
class MailingScheduleAdmin(admin.ModelAdmin):
    list_display = ["survey", "rate_per_minute", "reminder_after_days", "reminder_max"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["survey", "kind", "language", "subject", "updated"]
    list_filter = ["survey", "kind", "language"]


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["survey", "number", "kind", "selection", "created"]
    list_filter = ["survey", "kind"]


@admin.register(Send)
class SendAdmin(admin.ModelAdmin):
    """Read only: a message's record is the sender's to write (mailings.sending)."""

    list_display = ["respondent", "round", "state", "attempts", "sent", "opened", "email"]
    list_filter = ["state", "round", "wave__survey"]
    search_fields = ["respondent__panel_id", "email", "message_id"]
    readonly_fields = [f.name for f in Send._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["respondent", "created"]
    search_fields = ["respondent__panel_id", "respondent__email"]
