from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations import providers, webhooks
from integrations.models import Delivery, Provider, ProviderRespondent, Webhook


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "survey", "slug", "id_parameter", "signed", "active")
    list_filter = ("survey", "active")
    search_fields = ("name", "slug")
    readonly_fields = ("entry_link", "test_link")
    fieldsets = (
        (None, {"fields": ("survey", "name", "slug", "active", "entry_link", "test_link")}),
        (_("Entry"), {"fields": ("id_parameter", "prefill", "secret")}),
        (
            _("Exit URLs"),
            {
                "fields": (
                    "complete_url",
                    "screened_out_url",
                    "over_quota_url",
                    "quality_terminated_url",
                ),
                "description": _(
                    "Placeholders, URL-encoded: {pid}, {survey}, {provider}, {submission}, "
                    "{outcome}, {language}, and any parameter of the entry link. With a "
                    "secret, sig= is appended."
                ),
            },
        ),
    )
    actions = ["download_reconciliation"]

    @admin.display(boolean=True, description=_("signed"))
    def signed(self, obj: Provider) -> bool:
        return bool(obj.secret)

    @admin.display(description=_("entry URL"))
    def entry_link(self, obj: Provider) -> str:
        if not obj.pk:
            return "–"
        return format_html("<code>{}</code>", providers.entry_template(obj, settings.SITE_URL))

    @admin.display(description=_("test link"))
    def test_link(self, obj: Provider) -> str:
        if not obj.pk:
            return "–"
        url = providers.test_link(obj, settings.SITE_URL)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a><div class="help">{}</div>',
            url,
            url,
            _("A signed sample link with a random test id: it starts a real respondent."),
        )

    @admin.action(description=_("Download the reconciliation file (CSV)"))
    def download_reconciliation(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one provider."), level=messages.ERROR)
            return None
        provider = queryset.select_related("survey").get()
        response = HttpResponse(
            providers.reconciliation_csv(provider), content_type="text/csv; charset=utf-8"
        )
        name = f"{provider.survey.slug}-{provider.slug}-reconciliation.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(ProviderRespondent)
class ProviderRespondentAdmin(admin.ModelAdmin):
    list_display = ("external_id", "provider", "respondent", "created")
    list_filter = ("provider",)
    search_fields = ("external_id",)
    list_select_related = ("provider__survey", "respondent")
    readonly_fields = ("provider", "respondent", "external_id", "params", "created")

    def has_add_permission(self, request):
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "survey", "on_valid", "on_invalid", "on_over_quota", "active")
    list_filter = ("survey", "active")
    fields = ("survey", "url", "secret", "on_valid", "on_invalid", "on_over_quota", "active")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # an address typed without one
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created",
        "webhook",
        "submission_id",
        "event",
        "state",
        "attempts",
        "last_status",
        "delivered",
        "next_retry",
    )
    list_filter = ("event", "webhook__survey", ("delivered", admin.EmptyFieldListFilter))
    search_fields = ("uid", "submission__id")
    list_select_related = ("webhook__survey",)
    readonly_fields = (
        "uid",
        "webhook",
        "submission",
        "event",
        "payload",
        "attempts",
        "last_status",
        "last_error",
        "delivered",
        "next_retry",
        "created",
    )
    fields = readonly_fields
    actions = ["resend"]

    @admin.display(description=_("state"))
    def state(self, obj: Delivery) -> str:
        return {
            "delivered": _("delivered"),
            "failed": _("failed"),
            "pending": _("pending"),
        }[webhooks.status_of(obj)]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request) -> bool:
        # The log itself is read-only; sending again needs the right to change it.
        return request.user.has_perm("integrations.change_delivery")

    @admin.action(description=_("Send again"), permissions=["resend"])
    def resend(self, request, queryset):
        count = webhooks.delivery_resend(queryset)
        self.message_user(
            request,
            ngettext("%(n)d delivery sent again.", "%(n)d deliveries sent again.", count)
            % {"n": count},
        )
