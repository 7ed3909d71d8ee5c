from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken, IngestionKey
from api.tokens import key_digest, new_key


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created", "last_used"]
    list_filter = ["user"]
    search_fields = ["user__username", "name", "prefix"]
    fields = ["user", "name", "prefix", "created", "last_used"]
    readonly_fields = ["prefix", "created", "last_used"]

    def get_readonly_fields(self, request, obj=None):
        # A token belongs to the user it was made for; only its name may change.
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change and obj.user_id != request.user.pk and not request.user.is_superuser:
            # A key acts as its user: making one for someone else would be impersonation.
            raise PermissionDenied(_("Only a superuser can make a token for another user."))
        if not change:
            key = new_key()
            obj.prefix, obj.digest = key[:10], key_digest(key)
            super().save_model(request, obj, form, change)
            messages.warning(
                request,
                _(
                    "The token's key is %(key)s — copy it now: it is stored only as a digest "
                    "and cannot be shown again."
                )
                % {"key": key},
            )
            return
        super().save_model(request, obj, form, change)


@admin.register(IngestionKey)
class IngestionKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "survey", "submission", "user", "created"]
    list_filter = ["survey"]
    search_fields = ["key"]
    readonly_fields = ["survey", "key", "fingerprint", "submission", "user", "created"]

    def has_add_permission(self, request):
        return False
