"""Sending one text message: a task per message, so one refused number never holds back
another, retried with backoff while the provider is unreachable."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from .backends import Outgoing, PermanentError, TransientError, get_backend
from .models import OptOut, TextMessage

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_sms(self, message_id: int) -> str:
    """Send a queued message. Retries transient failures SMS_MAX_RETRIES times, waiting
    SMS_RETRY_BACKOFF * 2**n seconds, then marks it failed; a refusal fails it at once.
    A message no longer queued (sent, failed, or its phone opted out since) is left alone, so
    running this twice sends once unless both run at the same moment."""
    message = TextMessage.objects.filter(pk=message_id, status=TextMessage.Status.QUEUED).first()
    if message is None:
        return "not queued"
    rows = TextMessage.objects.filter(pk=message.pk, status=TextMessage.Status.QUEUED)
    if OptOut.objects.filter(phone=message.phone).exists():
        rows.update(status=TextMessage.Status.SUPPRESSED)
        return "suppressed"
    outgoing = Outgoing(message.phone, message.text, message.template, list(message.params))
    try:
        provider_id = get_backend().send(outgoing)
    except TransientError as exc:
        retries = self.request.retries or 0
        if retries >= settings.SMS_MAX_RETRIES:
            rows.update(
                status=TextMessage.Status.FAILED, attempts=F("attempts") + 1, error=str(exc)[:2000]
            )
            logger.warning(
                "text message %s failed after %s tries: %s", message_id, retries + 1, exc
            )
            return "failed"
        rows.update(attempts=F("attempts") + 1, error=str(exc)[:2000])
        raise self.retry(exc=exc, countdown=settings.SMS_RETRY_BACKOFF * 2**retries) from exc
    except PermanentError as exc:
        rows.update(
            status=TextMessage.Status.FAILED, attempts=F("attempts") + 1, error=str(exc)[:2000]
        )
        logger.warning("text message %s refused: %s", message_id, exc)
        return "failed"
    rows.update(
        status=TextMessage.Status.SENT,
        attempts=F("attempts") + 1,
        provider_id=provider_id[:100],
        sent_at=timezone.now(),
        error="",
    )
    return "sent"
