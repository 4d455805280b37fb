"""The admin for meetings, scoped to the user's jurisdiction. Meetings are convened, decided
and closed by the services; the admin lists them and links to the meeting page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from dispatch.services import display_name
from issues.admin import NotFoundOutside, ReadOnlyInline, local_time

from .models import AgendaItem, DecisionCorrection, Meeting


class AgendaItemInline(ReadOnlyInline):
    model = AgendaItem
    fields = ["issue", "new", "decision", "department", "note", "decided", "corrections_made"]
    related = ("issue", "department", "decided_by__cadre")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "corrections",
                    queryset=DecisionCorrection.objects.select_related("corrected_by__cadre"),
                )
            )
        )

    @admin.display(description=_("decided"))
    def decided(self, item):
        if not item.decided_at:
            return "—"
        return f"{display_name(item.decided_by)} {local_time(item.decided_at)}"

    @admin.display(description=_("decision corrections"))
    def corrections_made(self, item):
        """Each correction: when, by whom, what the record said before, and why."""
        rows = item.corrections.all()
        if not rows:
            return "—"
        return format_html_join(
            "",
            "<p>{} {}：{} → {}（{}）</p>",
            (
                (
                    local_time(c.corrected_at),
                    display_name(c.corrected_by),
                    c.before or "—",
                    c.after,
                    c.reason,
                )
                for c in rows
            ),
        )


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
        "host_name",
        "attendance",
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
            .select_related("town", "closed_by", "host__cadre")
            .annotate(n_items=Count("items"))
        )

    @admin.display(description=pgettext_lazy("meeting", "host"))
    def host_name(self, obj):
        return display_name(obj.host) if obj.host_id else "—"

    @admin.display(description=_("attendees"))
    def attendance(self, obj):
        """The attendees who have logins, by name, then the others as recorded."""
        names = [display_name(u) for u in obj.attendees.select_related("cadre").order_by("pk")]
        names += [n for n in obj.attendee_names.splitlines() if n.strip()]
        return "、".join(names) or "—"

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
