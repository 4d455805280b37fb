from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from issues.admin import IssueAdmin, ReadOnlyInline

from .models import Attachment


class AttachmentInline(ReadOnlyInline):
    """The issue's files, with their thumbnails (served through evidence.views, which checks
    visible_to as the admin's own pages do). Added, made public and removed on the issue page,
    where each is an event."""

    model = Attachment
    fk_name = "issue"
    related = ("uploaded_by",)
    fields = (
        "preview",
        "kind",
        "role",
        "public",
        "taken_at",
        "uploaded_by",
        "uploaded_at",
        "deleted_at",
    )

    @admin.display(description=_("preview"))
    def preview(self, obj: Attachment) -> str:
        url = reverse("evidence:file", kwargs={"pk": obj.pk})
        if not obj.is_image or obj.deleted_at:
            return format_html('<a href="{}">{}</a>', url, obj.get_kind_display())
        thumb = reverse("evidence:thumb", kwargs={"pk": obj.pk})
        return format_html('<a href="{}"><img src="{}" alt="" height="60"></a>', url, thumb)

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        # Whoever reads the issue here reads its files (the admin already limits the issues
        # to the jurisdiction, and each file's view checks visible_to again).
        return request.user.has_perm("issues.view_issue")


# The issue's admin page lists its evidence too; issues itself knows nothing of this app.
IssueAdmin.inlines = [*IssueAdmin.inlines, AttachmentInline]
