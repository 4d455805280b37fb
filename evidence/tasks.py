"""Thumbnails and the cleanup of abandoned uploads."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=100, time_limit=120)
def make_thumbnail_task(attachment_id: int) -> bool:
    """Make one photo's thumbnail (queued when the photo is attached); once only."""
    return services.make_attachment_thumbnail(attachment_id)


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def remove_abandoned_uploads_task() -> int:
    """Hourly: remove uploads never attached to an issue within ABANDONED_UPLOAD_HOURS, and
    stored files no row names (a form rolled back after writing them)."""
    return services.remove_abandoned_uploads()
