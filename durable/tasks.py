"""Beat tasks of the outbox and the idempotency keys."""

from __future__ import annotations

from celery import shared_task

from . import idempotency, outbox


@shared_task(acks_late=True)
def drain_outbox_task() -> int:
    """Every minute: publish the tasks the broker could not take when they were queued."""
    return outbox.drain_outbox()


@shared_task(acks_late=True)
def purge_idempotency_keys_task() -> int:
    """Every hour: forget the answers whose keys have expired."""
    return idempotency.purge_expired()
