"""Monday morning: the towns' weekly analysis meetings."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def convene_meetings_task(week: str | None = None) -> dict:
    """Convene every town's analysis meeting for the week. Running it twice, or on two
    workers at once, leaves one meeting per town (a unique constraint decides)."""
    return services.convene_meetings(week=week)
