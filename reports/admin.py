from django.contrib import admin

from reports.models import Assignment


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "survey")
    list_filter = ("survey",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)
