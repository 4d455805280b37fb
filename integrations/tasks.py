"""Sending webhooks: one task per delivery, retried by Celery with exponential backoff."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(services.DeliveryFailed,),
    retry_backoff=settings.SANBUFU_WEBHOOK_BACKOFF,
    retry_backoff_max=settings.SANBUFU_WEBHOOK_BACKOFF_MAX,
    retry_jitter=settings.SANBUFU_WEBHOOK_RETRY_JITTER,
    max_retries=settings.SANBUFU_WEBHOOK_MAX_RETRIES,
)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one delivery. A failure is retried after SANBUFU_WEBHOOK_BACKOFF * 2**n seconds
    (capped at SANBUFU_WEBHOOK_BACKOFF_MAX), up to SANBUFU_WEBHOOK_MAX_RETRIES times; the last
    failed attempt marks the delivery failed. Running it again after success sends nothing."""
    outcome = services.attempt_delivery(delivery_id)
    if outcome != services.RETRY:
        return outcome
    if self.request.retries >= self.max_retries:
        services.give_up(delivery_id)
        return "failed"
    raise services.DeliveryFailed(delivery_id)
