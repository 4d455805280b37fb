"""Evidence on the project's pages without the issues app importing this one:
`{% evidence_panel issue %}` (the issue page: gallery, before/after, add, public, remove),
`{% thumbnails issue %}` (agenda, print page, claim board) and `{% map_links issue %}`."""

from __future__ import annotations

from django import template

from issues.rules import allowed_actions

from ..forms import EvidenceForm
from ..models import Attachment

register = template.Library()


def _live(issue) -> list[Attachment]:
    files = getattr(issue, "live_attachments", None)
    if files is None:
        files = list(
            Attachment.objects.filter(issue=issue, deleted_at__isnull=True).order_by(
                "uploaded_at", "id"
            )
        )
    return files


@register.inclusion_tag("evidence/panel.html", takes_context=True)
def evidence_panel(context, issue):
    user = context["request"].user
    allowed = allowed_actions(user, issue)
    files = _live(issue)
    photos = [a for a in files if a.is_image]
    return {
        "issue": issue,
        "before": [a for a in photos if a.role != Attachment.Role.AFTER],
        "after": [a for a in photos if a.role == Attachment.Role.AFTER],
        "documents": [a for a in files if not a.is_image],
        "may_add": "comment" in allowed,
        "may_publish": "publish" in allowed,
        "user_id": user.pk,
        "form": EvidenceForm(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("evidence/thumbnails.html")
def thumbnails(issue, limit: int = 4):
    """The first photos of an issue, small (prefetch `live_attachments` on a list)."""
    photos = [a for a in _live(issue) if a.is_image]
    return {"photos": photos[:limit], "more": max(len(photos) - limit, 0)}


@register.inclusion_tag("evidence/map_links.html")
def map_links(issue):
    """Links that open the issue's point in the phone's map application: a geo: URI (Android
    and most map apps), Amap's marker page and OpenStreetMap. No tiles are fetched here."""
    if issue.latitude is None or issue.longitude is None:
        return {"point": None}
    return {
        "point": f"{issue.latitude:f},{issue.longitude:f}",
        "lat": f"{issue.latitude:f}",
        "lon": f"{issue.longitude:f}",
        "title": issue.title,
    }
