"""Every text message the system sends, and the phones that asked for none."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TextMessage(models.Model):
    """One message to one phone: written when it is wanted, updated by the sending task.

    `suppressed` messages were never handed to a backend (the phone opted out). Operators and
    metrics read the `failed` ones.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("suppressed (opted out)")

    phone = models.CharField(_("phone"), max_length=20)
    text = models.TextField(_("text"))
    # The provider's template and its parameters, for backends that send templates only.
    template = models.CharField(_("template"), max_length=40, blank=True)
    params = models.JSONField(_("template parameters"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Counting failed (or queued) messages over a period: status, then time.
            models.Index(fields=["status", "created_at"], name="sms_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"


class OptOut(models.Model):
    """A phone that replied TD (退订) or asked an office to stop: nothing is sent to it."""

    phone = models.CharField(_("phone"), max_length=20, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("opted-out phone")
        verbose_name_plural = _("opted-out phones")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.phone
