"""Outside systems that read and raise issues: API keys, webhook subscriptions, deliveries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Division
from issues.models import IssueEvent

from .targets import validate_target_url


class Integration(models.Model):
    """An outside system (a hotline platform, a dashboard, a bot) with one API key.

    Only a SHA-256 hash of the key is stored, with its first characters so that people can
    tell keys apart; the key itself is shown once, when it is made.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    division = models.ForeignKey(
        Division,
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The subtree it may raise issues in and hear of; empty for everywhere."),
    )
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def covers(self, code: str) -> bool:
        return self.division_id is None or code.startswith(self.division.prefix)


class WebhookSubscription(models.Model):
    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    target_url = models.URLField(
        _("target URL"),
        max_length=500,
        # Checked again at every send (integrations.targets): a name may move.
        validators=[validate_target_url],
        help_text=_("A public http(s) address; redirects are not followed."),
    )
    secret = models.CharField(
        _("secret"), max_length=200, help_text=_("Signs each body: HMAC-SHA256, hex.")
    )
    active = models.BooleanField(_("active"), default=True)
    event_kinds = models.JSONField(
        _("event kinds"),
        default=list,
        blank=True,
        help_text=_("Kinds of timeline events to send; empty for every kind but comments."),
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["integration", "target_url"]

    def __str__(self) -> str:
        return f"{self.integration} → {self.target_url}"

    def wants(self, kind: str) -> bool:
        if self.event_kinds:
            return kind in self.event_kinds
        # The offices' own words stay with the offices unless a subscription asks for them.
        return kind not in (IssueEvent.Kind.COMMENTED, IssueEvent.Kind.DECISION_CORRECTED)


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        IssueEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_response_code = models.PositiveSmallIntegerField(
        _("last response code"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # While a worker sends, no other worker may: the send is claimed until this moment.
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One delivery per subscription and event: queuing an event twice sends it once.
            models.UniqueConstraint(fields=["subscription", "event"], name="delivery_once"),
            models.CheckConstraint(
                name="delivery_delivered_has_time",
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} #{self.event_id}"
