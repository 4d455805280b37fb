"""Sending webhooks: one task per delivery, retried with exponential backoff."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one delivery. On failure retry after SANBUFU_WEBHOOK_BACKOFF * 2**n seconds (capped
    at SANBUFU_WEBHOOK_BACKOFF_MAX), up to SANBUFU_WEBHOOK_MAX_RETRIES times, then mark it
    failed. Running it again after success sends nothing."""
    outcome = services.attempt_delivery(delivery_id)
    if outcome != services.RETRY:
        return outcome
    if self.request.retries >= services.conf("SANBUFU_WEBHOOK_MAX_RETRIES"):
        services.give_up(delivery_id)
        return "failed"
    raise self.retry(countdown=services.backoff(self.request.retries))
