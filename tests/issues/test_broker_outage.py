"""The broker goes away mid-day (PostgreSQL and Redis, a real worker): diaries and
transitions still answer success, retries with the same key duplicate nothing, and once the
broker is back the drain delivers the queued mail and webhooks, once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diaries.models import DiaryEntry
from dispatch.models import Posting
from durable.models import OutboxMessage
from durable.tasks import drain_outbox_task
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import create_integration
from issues.models import Issue, IssueEvent

from .. import workers
from ..factories import CategoryFactory
from .test_celery_worker import BASE_DIR, database_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# The worker: this project's Celery app on its own queue (so no other worker on the Redis
# database takes its tasks, and what it queues itself stays on that queue), mailing to files.
WORKER = """
import sys, django
django.setup()
from django.conf import settings
settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
settings.EMAIL_FILE_PATH = sys.argv[2]
from sanbufu.celery import app
app.conf.task_default_queue = sys.argv[1]
app.worker_main(["worker", "--pool=solo", "-Q", sys.argv[1], "--without-heartbeat",
                 "--without-gossip", "--without-mingle", "-l", "info"])
"""


@pytest.fixture
def start_worker(redis_url, tmp_path):
    procs = []
    queue = f"sanbufu-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    def start():
        env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
        env.update(
            DJANGO_SETTINGS_MODULE="sanbufu.settings",
            REDIS_URL=redis_url,
            DATABASE_URL=database_url(),
            SECRET_KEY=os.environ.get("SECRET_KEY") or "test",
            WEBHOOK_ALLOW_LOOPBACK="1",
            PYTHONUNBUFFERED="1",
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, queue, str(mail_dir)],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start, queue, mail_dir
    for proc in procs:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        print(output)


def mails(mail_dir: Path) -> list[str]:
    return [p.read_text() for p in sorted(mail_dir.iterdir())]


def test_the_broker_away_loses_nothing_and_duplicates_nothing(
    transactional_db, client, start_worker, redis_url, shaoxing, village_cadre, town_office
):
    start, queue, mail_dir = start_worker
    CategoryFactory(code="water")
    posting = Posting.objects.get(cadre__user=village_cadre)
    integration, _key = create_integration(name="市民热线", division=shaoxing.keqiao)
    api = APIClient()
    api.force_authenticate(village_cadre)
    client.force_login(village_cadre)
    diary = {
        "posting": posting.pk,
        "kind": "people",
        "visited_on": timezone.localdate().isoformat(),
        "households_visited": 6,
        "summary": "走访六户",
        "issues": [{"title": "村口水管漏水", "category": "water"}],
    }
    with workers.Receiver() as receiver:
        WebhookSubscription.objects.create(
            integration=integration, target_url=receiver.url, secret="s"
        )
        with workers.broker(f"redis://127.0.0.1:{workers.closed_port()}/0"):
            answers = [
                api.post("/api/v1/diaries/", diary, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
                for _ in range(2)
            ]
            assert [a.status_code for a in answers] == [201, 201]
            assert answers[0].json() == answers[1].json()
            issue_id = answers[0].json()["issues"][0]
            moves = [
                api.post(
                    f"/api/v1/issues/{issue_id}/escalate/",
                    {"reason": "beyond_authority", "note": "需镇里协调"},
                    format="json",
                    HTTP_IDEMPOTENCY_KEY="e-1",
                )
                for _ in range(2)
            ]
            assert [m.status_code for m in moves] == [200, 200]
            assert moves[0].json() == moves[1].json()
            page = client.get(reverse("diaries:new")).content.decode()
            token = page.split('name="submission_token" value="')[1].split('"')[0]
            form = {
                "posting": str(posting.pk),
                "kind": "people",
                "visited_on": timezone.localdate().isoformat(),
                "households_visited": "3",
                "summary": "走访三户",
                "issues-TOTAL_FORMS": "1",
                "issues-INITIAL_FORMS": "0",
                "issues-0-title": "路灯不亮",
                "issues-0-category": "water",
                "submission_token": token,
            }
            sent = [client.post(reverse("diaries:new"), form) for _ in range(2)]
            assert [s.status_code for s in sent] == [302, 302] and sent[0].url == sent[1].url

        assert DiaryEntry.objects.count() == 2 and Issue.objects.count() == 2
        assert IssueEvent.objects.filter(kind="escalated").count() == 1
        # Three events, each with its mail, inbox, text-message and announcement tasks.
        assert OutboxMessage.objects.count() == 12
        assert WebhookDelivery.objects.count() == 0

        # The broker is back: a real worker drains the outbox.
        worker = start()
        with workers.broker(redis_url) as app:
            app.conf.task_default_queue = queue
            try:
                drain_outbox_task.apply_async(queue=queue)

                def delivered():
                    assert worker.poll() is None, "the worker exited"
                    return WebhookDelivery.objects.filter(status="delivered").count() == 3

                assert workers.wait_for(delivered, timeout=60)
                assert workers.wait_for(lambda: len(mails(mail_dir)) == 1, timeout=30)
            finally:
                app.conf.task_default_queue = "celery"
        assert workers.wait_for(lambda: not OutboxMessage.objects.exists(), timeout=10)
        assert len(receiver.calls) == 3
        assert {c["headers"]["X-Sanbufu-Event-Id"] for c in receiver.calls} == {
            str(pk) for pk in IssueEvent.objects.values_list("pk", flat=True)
        }
        (escalation_mail,) = mails(mail_dir)
        assert town_office.email in escalation_mail
