"""Beat tasks of the residents' end."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def anonymise_reporters_task() -> int:
    """Nightly: blank the reporter's name and phone of issues resolved longer ago than
    REPORTER_RETENTION_DAYS (safe to run twice: anonymised issues are skipped)."""
    return services.anonymise_reporters()
