"""Queueing Celery tasks after a commit, so that the broker can neither fail a committed
change nor lose the work it wants done.

`enqueue_on_commit(task, *args)` writes an OutboxMessage in the caller's transaction and,
once that commits, publishes the task and deletes the row. When the broker cannot take the
message (down, unreachable, full), the row stays and `drain_outbox` (every minute, by beat)
publishes it later; the request that made the change still answers success. A process that
dies between its commit and the publish leaves the row too, so nothing is lost.

A message can be published twice only if its row survives a successful publish (the delete
after it failed); the tasks queued this way are safe to run twice, except that a mail may
then go out twice.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from common import requestid

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# After a failed publish this process leaves the broker alone for SANBUFU_PUBLISH_PAUSE
# seconds: a request that commits twenty events would otherwise wait out the retry policy
# twenty times. The rows wait for the drain, which is not paused. Keyed by the broker's URL:
# another broker is another matter.
_paused: dict[str, float] = {}


def enqueue_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one).

    The arguments must be JSON: ids and plain values, as every task here takes."""
    request_id = requestid.get()
    message = OutboxMessage.objects.create(task=task.name, args=list(args), request_id=request_id)
    transaction.on_commit(
        partial(_publish_after_commit, message.pk, task.name, list(args), request_id)
    )


def enqueue_many_on_commit(calls: list[tuple]) -> None:
    """Queue several tasks, `[(task, *args), ...]`, once the current transaction commits: one
    INSERT for all their rows now and one DELETE after publishing, however many they are."""
    if not connection.features.can_return_rows_from_bulk_insert:
        for task, *args in calls:
            enqueue_on_commit(task, *args)
        return
    request_id = requestid.get()
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(task=task.name, args=list(args), request_id=request_id)
            for task, *args in calls
        ]
    )
    transaction.on_commit(
        partial(
            _publish_many_after_commit,
            [(row.pk, row.task, row.args) for row in rows],
            request_id,
        )
    )


def _publish_many_after_commit(messages: list[tuple[int, str, list]], request_id: str = "") -> None:
    broker = str(current_app.conf.broker_url)
    published, failed = [], []
    for pk, name, args in messages:
        if time.monotonic() < _paused.get(broker, 0.0):
            failed.append((pk, "not tried: the broker failed a moment ago"))
            continue
        error = publish(name, args, request_id=request_id)
        if error is None:
            published.append(pk)
        else:
            _paused[broker] = time.monotonic() + settings.SANBUFU_PUBLISH_PAUSE
            failed.append((pk, error))
    try:
        if published:
            OutboxMessage.objects.filter(pk__in=published).delete()
        if failed:
            OutboxMessage.objects.filter(pk__in=[pk for pk, _e in failed]).update(
                attempts=F("attempts") + 1, last_error=failed[0][1]
            )
    except DatabaseError:
        # The change is committed and must answer success; the rows left are the drain's.
        logger.exception("outbox messages %s: could not record the outcome", published)


def publish(
    name: str, args: list, kwargs: dict | None = None, *, request_id: str = ""
) -> str | None:
    """Hand one task to the broker. None when it took it, else the error as text.

    The retry policy is short (settings.SANBUFU_PUBLISH_RETRY_POLICY) because a request is
    waiting; a longer wait belongs to the drain, which retries every minute. `request_id`
    goes with the message as a header, so the task's log lines name the request that queued
    it.
    """
    try:
        current_app.tasks[name].apply_async(
            args=args,
            kwargs=kwargs or {},
            headers={"request_id": request_id} if request_id else None,
            retry=True,
            retry_policy=settings.SANBUFU_PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # noqa: BLE001 - whatever the broker raises, the row keeps the task
        logger.warning("could not queue %s: %s", name, exc)
        return f"{type(exc).__name__}: {exc}"[:1000]
    _paused.pop(str(current_app.conf.broker_url), None)
    return None


def _publish_after_commit(pk: int, name: str, args: list, request_id: str = "") -> None:
    broker = str(current_app.conf.broker_url)
    if time.monotonic() < _paused.get(broker, 0.0):
        error = "not tried: the broker failed a moment ago"
    else:
        error = publish(name, args, request_id=request_id)
        if error is not None:
            _paused[broker] = time.monotonic() + settings.SANBUFU_PUBLISH_PAUSE
    try:
        if error is None:
            OutboxMessage.objects.filter(pk=pk).delete()
        else:
            OutboxMessage.objects.filter(pk=pk).update(attempts=F("attempts") + 1, last_error=error)
    except DatabaseError:
        # The change is committed and must answer success; the row, if it is still there,
        # is published again by the drain.
        logger.exception("outbox message %s: could not record the outcome", pk)


def drain_outbox(*, batch_size: int = 500) -> int:
    """Publish the messages still in the outbox, oldest first; returns how many went out.

    A message is taken when its first publish failed, or when it is older than
    SANBUFU_OUTBOX_GRACE seconds (its process died before publishing); younger ones are
    being published right now by the request that wrote them. Stops at the first failure:
    the broker is still away. Rows are locked while published, so two drains at once never
    publish one message twice.
    """
    published = 0
    while True:
        cutoff = timezone.now() - timedelta(seconds=settings.SANBUFU_OUTBOX_GRACE)
        with transaction.atomic():
            rows = OutboxMessage.objects.filter(Q(attempts__gt=0) | Q(created_at__lt=cutoff))
            rows = rows.order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            rows = list(rows[:batch_size])
            done, failed = [], False
            for row in rows:
                error = publish(row.task, row.args, row.kwargs, request_id=row.request_id)
                if error is not None:
                    OutboxMessage.objects.filter(pk=row.pk).update(
                        attempts=F("attempts") + 1, last_error=error
                    )
                    failed = True
                    break
                done.append(row.pk)
            OutboxMessage.objects.filter(pk__in=done).delete()
        published += len(done)
        if failed or len(rows) < batch_size:
            return published
