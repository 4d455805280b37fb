from django.contrib import admin

from .models import OptOut, TextMessage


@admin.register(TextMessage)
class TextMessageAdmin(admin.ModelAdmin):
    """What was sent to whom, and what failed: read only."""

    list_display = ["phone", "status", "attempts", "created_at", "sent_at", "error"]
    list_filter = ["status"]
    search_fields = ["phone"]
    readonly_fields = [f.name for f in TextMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["phone", "created_at"]
    search_fields = ["phone"]
