"""Celery tasks: thin wrappers over the services, safe to run twice or at once."""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import datetime

from celery import shared_task
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from durable.outbox import enqueue_many_on_commit
from sms.services import queue_sms

from . import notifications, sweep
from .models import IssueEvent
from .signals import events_recorded

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def escalate_overdue_task(as_of: str | None = None) -> dict[str, int]:
    """The sweep, hourly and every five minutes after (settings.CELERY_BEAT_SCHEDULE): a run
    whose worker died is taken up by the next. Concurrent runs each move the rows they lock,
    and a moved issue's new deadline lies ahead, so no issue moves twice."""
    when = datetime.fromisoformat(as_of) if as_of else timezone.now()
    if timezone.is_naive(when):
        when = timezone.make_aware(when)  # a naive moment is Shanghai time
    started = time.monotonic()
    moved = sweep.escalate_overdue(as_of=when)
    # One summary line per run, for the office that watches the logs.
    seconds = time.monotonic() - started
    logger.info(
        "sweep moved %d issues in %.2f s",
        sum(moved.values()),
        seconds,
        extra={"moved": moved, "seconds": seconds, "as_of": when.isoformat()},
    )
    return moved


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError, TimeoutError, smtplib.SMTPServerDisconnected),
    max_retries=5,
    retry_backoff=True,
)
def send_notifications(event_ids: list[int]) -> int:
    """Mail whoever these events concern (issues.notifications). Retries a mail server it
    cannot reach; any other mail error fails this task alone, never the webhooks."""
    mails = notifications.mails_for(event_ids)
    if not mails:
        return 0
    return send_mass_mail([tuple(m) for m in mails], fail_silently=False)


@shared_task(acks_late=True)
def announce_events(event_ids: list[int]) -> None:
    """Tell listeners (outgoing webhooks) of new timeline events; they are safe to call twice."""
    events_recorded.send(sender=IssueEvent, event_ids=list(event_ids))


@shared_task(acks_late=True)
def process_events(event_ids: list[int]) -> None:
    """Messages queued before notifications and announcements became two tasks name this one;
    it queues both."""
    queue_event_tasks(event_ids)


@shared_task(acks_late=True)
def add_to_inboxes(event_ids: list[int]) -> int:
    """Put the events in the inboxes of the users they concern; safe to run twice (one row per
    user and event)."""
    return notifications.add_to_inboxes(event_ids)


@shared_task(acks_late=True)
def send_texts(event_ids: list[int]) -> int:
    """Queue the text messages the events call for: the reporter's, and staff who asked for
    them. Each message is then its own task (sms.tasks.deliver_sms), retried on its own."""
    texts = notifications.resident_texts(event_ids) + notifications.staff_texts(event_ids)
    with transaction.atomic():
        for text in texts:
            queue_sms(text.phone, text.text, template=text.template, params=text.params)
    return len(texts)


@shared_task(acks_late=True)
def send_digest_task() -> int:
    """08:30 every day: remind each holder of their amber and red issues (催办), by mail and by
    text message as they prefer. Returns how many users were reminded by mail."""
    mails, texts = notifications.digest()
    with transaction.atomic():
        for text in texts:
            queue_sms(text.phone, text.text, template=text.template, params=text.params)
    if mails:
        send_mass_mail([tuple(m) for m in mails], fail_silently=False)
    return len(mails)


def queue_event_tasks(event_ids: list[int]) -> None:
    """Queue the side effects of new events once the current transaction commits: mail,
    inbox, text messages and announcement are separate tasks, so one failing never stops
    another."""
    ids = list(event_ids)
    enqueue_many_on_commit(
        [
            (send_notifications, ids),
            (add_to_inboxes, ids),
            (send_texts, ids),
            (announce_events, ids),
        ]
    )
