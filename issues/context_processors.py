"""The inbox's unread count in the header of every page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .models import Notification


def inbox(request) -> dict:
    """`unread_notifications`: counted (one query) only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        )
    }
