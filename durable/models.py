"""The outbox of tasks to queue and the idempotency keys of retried writes."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A Celery task to queue, written in the transaction of the change that wants it.

    After the commit the message is published and its row deleted; a row that stays (the
    broker was down, or the process died before publishing) is published by the drain task.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # The id of the request that queued the task, carried into the task's log lines even when
    # the drain publishes it later. A database default, so adding it locks nothing for long.
    request_id = models.CharField(
        _("request id"), max_length=64, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class IdempotencyKey(models.Model):
    """The first answer to a write sent with a client's key, so that a retry gets it again.

    Written in the transaction of the write itself: of two concurrent requests with one key,
    the unique constraint lets one commit; the other rolls back its write and replays.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("key"), max_length=255)
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    body = models.JSONField(_("body"), null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once"),
        ]
        indexes = [
            # The hourly purge of expired keys filters on created_at.
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self) -> str:
        return self.key
