from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: nobody edits or deletes history."""

    list_display = ("created", "actor", "action", "survey_slug", "target", "ip")
    list_filter = ("action", "survey_slug")
    search_fields = ("actor", "target", "survey_slug")
    date_hierarchy = "created"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
