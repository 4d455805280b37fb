"""Outgoing webhooks against a real HTTP receiver on 127.0.0.1, sent by a real Celery worker:
signed bodies, retries with backoff after failures, and never twice once delivered."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import create_integration, queue_deliveries
from integrations.tasks import deliver_webhook
from issues import services
from issues.models import IssueEvent

from ..factories import CategoryFactory

# Each test starts a Celery worker and waits for real HTTP deliveries.
pytestmark = pytest.mark.slow

SECRET = "s3cret-shared-with-the-receiver"


class Receiver:
    """Answers 500 to the first `failures` POSTs, then 200; records each with its time."""

    def __init__(self, failures: int):
        self.failures = failures
        self.calls: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append(
                    {"at": time.monotonic(), "headers": dict(self.headers), "body": body}
                )
                code = 500 if len(receiver.calls) <= receiver.failures else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/sanbufu"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def worker(transactional_db, settings):
    """A real Celery worker in this process on an in-memory broker, with a short backoff."""
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)
    from celery.contrib.testing.worker import start_worker

    from sanbufu.celery import app

    settings.SANBUFU_WEBHOOK_BACKOFF = 0.4
    settings.SANBUFU_WEBHOOK_MAX_RETRIES = 4
    keys = ("broker_url", "broker_transport_options", "task_always_eager")
    saved = {k: app.conf[k] for k in keys}

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(broker_url="memory://", broker_transport_options={}, task_always_eager=False)
    reset_pools()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(saved)
        reset_pools()


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


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
        assert gaps[0] >= 0.35 and gaps[1] >= 0.75, gaps  # 0.4 s, then 0.8 s

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
