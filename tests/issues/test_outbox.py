"""A committed change answers success whatever the broker does: what could not be queued
waits in the outbox, and the drain queues it once the broker is back, exactly once."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diaries.models import DiaryEntry
from dispatch.models import Posting
from durable.models import OutboxMessage
from durable.outbox import drain_outbox
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import create_integration
from issues.models import Issue

from .. import workers
from ..factories import CategoryFactory


def form_data(posting, title: str) -> dict:
    return {
        "posting": str(posting.pk),
        "kind": "people",
        "visited_on": timezone.localdate().isoformat(),
        "households_visited": "3",
        "summary": "走访三户",
        "issues-TOTAL_FORMS": "1",
        "issues-INITIAL_FORMS": "0",
        "issues-0-title": title,
        "issues-0-category": "water",
    }


@pytest.mark.slow
def test_writes_answer_success_with_the_broker_down_and_their_work_follows_once(
    transactional_db, client, shaoxing, village_cadre, town_office
):
    CategoryFactory(code="water")
    posting = Posting.objects.get(cadre__user=village_cadre)
    integration, _key = create_integration(name="市民热线", division=shaoxing.keqiao)
    api = APIClient()
    api.force_authenticate(village_cadre)
    client.force_login(village_cadre)
    with workers.Receiver() as receiver:
        WebhookSubscription.objects.create(
            integration=integration, target_url=receiver.url, secret="s"
        )
        with workers.broker(f"redis://127.0.0.1:{workers.closed_port()}/0"):
            answer = api.post(
                "/api/v1/diaries/",
                {
                    "posting": posting.pk,
                    "kind": "people",
                    "visited_on": timezone.localdate().isoformat(),
                    "households_visited": 6,
                    "summary": "走访六户",
                    "issues": [{"title": "村口水管漏水", "category": "water"}],
                },
                format="json",
            )
            assert answer.status_code == 201, answer.content
            page = client.post(reverse("diaries:new"), form_data(posting, "路灯不亮"))
            assert page.status_code == 302
            issue_id = answer.json()["issues"][0]
            escalated = api.post(
                f"/api/v1/issues/{issue_id}/escalate/",
                {"reason": "beyond_authority", "note": "需镇里协调"},
                format="json",
            )
            assert escalated.status_code == 200, escalated.content

        assert DiaryEntry.objects.count() == 2 and Issue.objects.count() == 2
        # Three events, each waiting for its mail, inbox, text-message and webhook tasks.
        waiting = list(OutboxMessage.objects.values_list("task", "attempts"))
        assert len(waiting) == 12 and all(attempts == 1 for _task, attempts in waiting)
        assert WebhookDelivery.objects.count() == 0 and mail.outbox == []

        with workers.in_process_worker():
            assert drain_outbox() == 12

            def done():
                return WebhookDelivery.objects.filter(status="delivered").count() == 3

            assert workers.wait_for(done), list(WebhookDelivery.objects.values())
            assert workers.wait_for(lambda: len(mail.outbox) == 1)
            assert drain_outbox() == 0
        assert OutboxMessage.objects.count() == 0
        assert sorted(c["headers"]["X-Sanbufu-Event-Id"] for c in receiver.calls) == sorted(
            str(d.event_id) for d in WebhookDelivery.objects.all()
        )
        assert len(receiver.calls) == 3
        assert mail.outbox[0].to == [town_office.email]


@pytest.mark.slow
def test_a_message_published_after_commit_leaves_no_row(transactional_db, shaoxing, village_cadre):
    from issues import services

    CategoryFactory(code="water")
    with workers.in_process_worker():
        services.raise_issue(
            actor=village_cadre, division=shaoxing.lanting_village, category="water", title="水管"
        )
        assert OutboxMessage.objects.count() == 0


@pytest.mark.slow
@pytest.mark.parametrize("grace_passed", [False, True])
def test_the_drain_leaves_young_messages_to_their_own_request(
    transactional_db, settings, grace_passed
):
    """A row written a moment ago is being published by its request right now; only rows
    older than the grace period (their process died) or already failed are drained."""
    settings.SANBUFU_OUTBOX_GRACE = 0 if grace_passed else 3600
    OutboxMessage.objects.create(task="durable.tasks.purge_idempotency_keys_task")
    with workers.in_process_worker():
        assert drain_outbox() == (1 if grace_passed else 0)
    assert OutboxMessage.objects.count() == (0 if grace_passed else 1)


def test_a_big_diary_with_the_broker_down_waits_for_it_once_not_per_event(
    transactional_db, shaoxing, village_cadre
):
    """Ten issues are forty tasks (mail, inbox, text, webhooks); each publish retries for about 0.2 s, so trying them
    all took 4 s (measured) where one try and the outbox take a fraction of a second."""
    CategoryFactory(code="water")
    posting = Posting.objects.get(cadre__user=village_cadre)
    api = APIClient()
    api.force_authenticate(village_cadre)
    body = {
        "posting": posting.pk,
        "kind": "people",
        "visited_on": timezone.localdate().isoformat(),
        "households_visited": 10,
        "summary": "走访十户",
        "issues": [{"title": f"问题{i}", "category": "water"} for i in range(10)],
    }
    with workers.broker(f"redis://127.0.0.1:{workers.closed_port()}/0"):
        started = time.monotonic()
        answer = api.post("/api/v1/diaries/", body, format="json")
        elapsed = time.monotonic() - started
    assert answer.status_code == 201
    assert OutboxMessage.objects.count() == 40
    assert elapsed < 2.0, elapsed


def test_the_admin_lists_what_waits_for_the_broker(client, superuser):
    OutboxMessage.objects.create(
        task="issues.tasks.send_notifications", args=[[7]], attempts=1, last_error="refused"
    )
    client.force_login(superuser)
    page = client.get("/admin/durable/outboxmessage/")
    assert page.status_code == 200
    assert "issues.tasks.send_notifications" in page.content.decode()
