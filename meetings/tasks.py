"""Monday morning: the towns' weekly analysis meetings."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def convene_meetings_task(week: str | None = None) -> dict:
    """Convene every town's analysis meeting for the week. Running it twice, or on two
    workers at once, leaves one meeting per town (a unique constraint decides)."""
    result = services.convene_meetings(week=week)
    # One summary line per run, for the office that watches the logs.
    logger.info(
        "convened %d meetings for %s (%d already there)",
        len(result["convened"]),
        result["week"],
        len(result["existing"]),
        extra={"week": result["week"], "convened": len(result["convened"])},
    )
    return result
