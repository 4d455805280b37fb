"""The admin for meetings, scoped to the user's jurisdiction. Meetings are convened, decided
and closed by the services; the admin lists them and links to the meeting page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from issues.admin import NotFoundOutside, ReadOnlyInline

from .models import AgendaItem, Meeting


class AgendaItemInline(ReadOnlyInline):
    model = AgendaItem
    fields = ["issue", "new", "decision", "department", "note", "decided_by", "decided_at"]
    related = ("issue", "department", "decided_by")


@admin.register(Meeting)
class MeetingAdmin(NotFoundOutside, admin.ModelAdmin):
    """Meetings are convened, decided and closed by the services; the admin only lists them
    and links to the meeting page where the office decides."""

    list_display = ["week", "town", "status", "items_count", "page"]
    list_filter = ["status", "week"]
    search_fields = ["town__name", "=town__code", "=week"]
    readonly_fields = [
        "town",
        "week",
        "status",
        "stats",
        "minutes",
        "convened_at",
        "closed_at",
        "closed_by",
    ]
    inlines = [AgendaItemInline]

    def get_queryset(self, request):
        return (
            Meeting.objects.visible_to(request.user)
            .select_related("town", "closed_by")
            .annotate(n_items=Count("items"))
        )

    @admin.display(description=_("agenda items"), ordering="n_items")
    def items_count(self, obj):
        return obj.n_items

    @admin.display(description=_("meeting page"))
    def page(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("meetings:detail", args=[obj.pk]),
            pgettext("link", "open"),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
