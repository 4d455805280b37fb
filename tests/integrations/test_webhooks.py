"""Outgoing webhooks against a real HTTP receiver on 127.0.0.1, sent by a real Celery worker:
signed bodies, retries with backoff after failures, and never twice once delivered."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import create_integration, queue_deliveries
from integrations.tasks import deliver_webhook
from issues import services
from issues.models import IssueEvent

from .. import workers
from ..factories import CategoryFactory

# Each test starts a Celery worker and waits for real HTTP deliveries.
pytestmark = pytest.mark.slow

SECRET = "s3cret-shared-with-the-receiver"


class Receiver(workers.Receiver):
    """Answers 500 to the first `failures` POSTs, then 200."""

    def __init__(self, failures: int):
        super().__init__(respond=lambda n: (500 if n <= failures else 200, {}))


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker in this process on an in-memory broker."""
    with workers.in_process_worker() as app:
        yield app


wait_for = workers.wait_for


def test_failed_deliveries_are_retried_with_backoff_and_arrive_once(
    worker, shaoxing, village_cadre
):
    CategoryFactory(code="water")
    integration, _key = create_integration(name="市民热线", division=shaoxing.keqiao)
    with Receiver(failures=2) as receiver:
        subscription = WebhookSubscription.objects.create(
            integration=integration, target_url=receiver.url, secret=SECRET
        )
        issue = services.raise_issue(
            actor=village_cadre, division=shaoxing.lanting_village, category="water", title="水管"
        )
        event = IssueEvent.objects.get(issue=issue, kind="raised")

        def delivered():
            return WebhookDelivery.objects.filter(
                subscription=subscription, event=event, status="delivered"
            ).exists()

        assert wait_for(delivered), receiver.calls
        assert len(receiver.calls) == 3
        gaps = [b["at"] - a["at"] for a, b in zip(receiver.calls, receiver.calls[1:], strict=False)]
        assert gaps[0] >= 0.95 and gaps[1] >= 1.95, gaps  # 1 s, then 2 s (tests/conftest.py)

        for call in receiver.calls:
            expected = hmac.new(SECRET.encode(), call["body"], hashlib.sha256).hexdigest()
            assert call["headers"]["X-Sanbufu-Signature"] == f"sha256={expected}"
            assert call["headers"]["X-Sanbufu-Event-Id"] == str(event.pk)
        body = json.loads(receiver.calls[-1]["body"])
        assert body["event_id"] == event.pk and body["kind"] == "raised"
        assert body["issue"]["id"] == issue.pk and body["issue"]["holder"] == "330603008250"
        assert body["at"].endswith("+08:00")

        delivery = WebhookDelivery.objects.get(subscription=subscription, event=event)
        assert delivery.attempts == 3 and delivery.last_response_code == 200

        # Queued again, or its task run again: a delivered event is never sent twice.
        queue_deliveries([event.pk])
        deliver_webhook.apply(args=[delivery.pk])
        time.sleep(1.0)
        assert len(receiver.calls) == 3
        assert WebhookDelivery.objects.filter(event=event).count() == 1


def test_events_outside_the_subscription_territory_are_not_sent(
    worker, shaoxing, community_cadre, village_cadre
):
    CategoryFactory(code="water")
    integration, _key = create_integration(name="柯桥看板", division=shaoxing.keqiao)
    with Receiver(failures=0) as receiver:
        subscription = WebhookSubscription.objects.create(
            integration=integration, target_url=receiver.url, secret=SECRET
        )
        # 书圣故里 lies in Yuecheng, not Keqiao; 兰亭村 lies in Keqiao. The worker takes the
        # events in order, so once the second has arrived the first has been decided on.
        outside = services.raise_issue(
            actor=community_cadre, division=shaoxing.shusheng, category="water", title="路灯"
        )
        inside = services.raise_issue(
            actor=village_cadre, division=shaoxing.lanting_village, category="water", title="水管"
        )
        inside_event = IssueEvent.objects.get(issue=inside, kind="raised")

        def inside_delivered():
            return WebhookDelivery.objects.filter(event=inside_event, status="delivered").exists()

        assert wait_for(inside_delivered), receiver.calls
        assert [call["headers"]["X-Sanbufu-Event-Id"] for call in receiver.calls] == [
            str(inside_event.pk)
        ]
        assert not WebhookDelivery.objects.filter(event__issue=outside).exists()
        assert list(WebhookDelivery.objects.values_list("subscription", "event")) == [
            (subscription.pk, inside_event.pk)
        ]
