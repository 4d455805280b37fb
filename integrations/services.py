"""Integration keys and outgoing webhooks.

Webhooks: every new issue event (announced by issues.signals.events_recorded after
issues.tasks.process_events) becomes one WebhookDelivery per interested subscription; the
unique (subscription, event) pair makes queuing idempotent, and a lease on the row makes
sure two workers never send the same delivery at once. A delivered event is never sent
again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from dispatch.models import Division
from durable.outbox import enqueue_on_commit
from issues.models import IssueEvent

from . import targets
from .models import Integration, WebhookDelivery, WebhookSubscription

KEY_PREFIX = "sbf_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_integration(*, name: str, division: Division | None = None) -> tuple[Integration, str]:
    """Create an integration and its API key. Returns both; the key is never stored, only
    its SHA-256 hash and its first characters, so the caller shows it once."""
    key = new_key()
    integration = Integration.objects.create(
        name=name, division=division, key_prefix=key[:12], key_hash=hash_key(key)
    )
    return integration, key


def integration_for_key(key: str | None) -> Integration | None:
    """The active integration holding `key`, or None."""
    if not key:
        return None
    return (
        Integration.objects.select_related("division")
        .filter(key_hash=hash_key(key), active=True)
        .first()
    )


# Webhooks -----------------------------------------------------------------------------------


def payload(event: IssueEvent) -> dict:
    issue = event.issue
    return {
        "event_id": event.pk,
        "kind": event.kind,
        "tier_from": event.tier_from or None,
        "tier_to": event.tier_to or None,
        "reason": event.reason or None,
        "at": timezone.localtime(event.at).isoformat(),
        "issue": {
            "id": issue.pk,
            "title": issue.title,
            "category": issue.category.code,
            "status": issue.status,
            "tier": issue.tier,
            "division": issue.division_id,
            "holder": issue.holder_id,
            "due_at": timezone.localtime(issue.due_at).isoformat(),
            "escalation_count": issue.escalation_count,
            "version": issue.version,
        },
    }


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def queue_deliveries(event_ids: list[int]) -> list[int]:
    """Create the deliveries of these events for every active subscription whose territory
    holds the issue and which wants the event's kind, and enqueue their sending. Safe to
    call twice with the same ids. Returns the ids of the deliveries enqueued."""
    subscriptions = list(
        WebhookSubscription.objects.filter(active=True, integration__active=True).select_related(
            "integration__division"
        )
    )
    if not subscriptions or not event_ids:
        return []
    events = IssueEvent.objects.filter(pk__in=event_ids).only("id", "kind", "issue__division_id")
    events = events.select_related("issue")
    rows = [
        WebhookDelivery(subscription=sub, event=event)
        for event in events
        for sub in subscriptions
        if sub.wants(event.kind) and sub.integration.covers(event.issue.division_id)
    ]
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    pairs = Q(pk__in=[])
    for row in rows:
        pairs |= Q(subscription_id=row.subscription_id, event_id=row.event_id)
    ids = list(
        WebhookDelivery.objects.filter(pairs, status=WebhookDelivery.Status.PENDING).values_list(
            "id", flat=True
        )
    )
    # Imported here: integrations.tasks imports this module.
    from .tasks import deliver_webhook

    for pk in ids:
        enqueue_on_commit(deliver_webhook, pk)
    return ids


DELIVERED, RETRY, SKIPPED, REFUSED = "delivered", "retry", "skipped", "refused"


class DeliveryFailed(Exception):
    """A delivery that failed in a way worth trying again (Celery retries the task)."""


def attempt_delivery(delivery_id: int) -> str:
    """POST one delivery once. Returns DELIVERED, RETRY (a failure worth trying again),
    REFUSED (the target resolves to an address webhooks may not reach: marked failed) or
    SKIPPED (delivered already, gone, or being sent by another worker right now)."""
    now = timezone.now()
    lease = timedelta(seconds=settings.SANBUFU_WEBHOOK_TIMEOUT * 2 + 5)
    # Claim the send: only one worker gets the row while the lease lasts.
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .exclude(status=WebhookDelivery.Status.DELIVERED)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + lease)
    )
    if not claimed:
        return SKIPPED
    delivery = WebhookDelivery.objects.select_related("subscription", "event__issue__category").get(
        pk=delivery_id
    )
    body = json.dumps(payload(delivery.event), ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "sanbufu-webhooks/1",
        "X-Sanbufu-Event-Id": str(delivery.event_id),
        "X-Sanbufu-Signature": sign(delivery.subscription.secret, body),
    }
    refused = False
    try:
        code, error = targets.post(
            delivery.subscription.target_url, body, headers, settings.SANBUFU_WEBHOOK_TIMEOUT
        )
    except targets.RefusedTarget as exc:
        # The target now resolves inside: no retry will make it acceptable.
        code, error, refused = None, exc.message, True
    ok = code is not None and 200 <= code < 300
    if ok:
        outcome = {"status": WebhookDelivery.Status.DELIVERED, "delivered_at": timezone.now()}
    elif refused:
        outcome = {"status": WebhookDelivery.Status.FAILED}
    else:
        outcome = {}
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        attempts=delivery.attempts + 1,
        last_attempt_at=timezone.now(),
        last_response_code=code,
        last_error=error,
        leased_until=None,
        **outcome,
    )
    return DELIVERED if ok else REFUSED if refused else RETRY


def give_up(delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED
    )
