from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Integration, WebhookDelivery, WebhookSubscription
from .services import hash_key, new_key


class SubscriptionInline(admin.TabularInline):
    model = WebhookSubscription
    extra = 0


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "division", "key_prefix", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at"]
    autocomplete_fields = ["division"]
    inlines = [SubscriptionInline]
    actions = ["rotate_key"]

    def save_model(self, request, obj, form, change):
        if not change:
            key = new_key()
            obj.key_prefix, obj.key_hash = key[:12], hash_key(key)
            super().save_model(request, obj, form, change)
            self._show_key(request, obj, key)
            return
        super().save_model(request, obj, form, change)

    def _show_key(self, request, obj, key):
        messages.warning(
            request,
            _("API key of %(name)s, shown this once and never again: %(key)s")
            % {"name": obj.name, "key": key},
        )

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def rotate_key(self, request, queryset):
        for obj in queryset:
            key = new_key()
            Integration.objects.filter(pk=obj.pk).update(
                key_prefix=key[:12], key_hash=hash_key(key)
            )
            self._show_key(request, obj, key)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["integration", "target_url", "active"]
    list_filter = ["active", "integration"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "subscription",
        "event",
        "status",
        "attempts",
        "last_response_code",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status"]
    list_select_related = ["subscription__integration", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
