"""The sweep as it runs in production: a real Celery worker, started here, consuming from
Redis and writing to the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from issues.models import Issue, IssueEvent
from issues.tasks import escalate_overdue_task

from ..factories import bulk_issues

pytestmark = [pytest.mark.redis, pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


def database_url() -> str:
    """The URL of the test database this session writes to, for the worker to use."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker(redis_url, transactional_db):
    """A worker on its own queue (so no other worker on this Redis takes the task), and the
    producer here pointed at the same broker and queue."""
    from sanbufu.celery import app

    queue = f"sanbufu-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        REDIS_URL=redis_url,
        DATABASE_URL=database_url(),
        SECRET_KEY=os.environ.get("SECRET_KEY") or "test",
        PYTHONUNBUFFERED="1",
    )
    celery = Path(sys.executable).with_name("celery")
    proc = subprocess.Popen(
        [
            str(celery),
            "-A",
            "sanbufu",
            "worker",
            "--pool=solo",
            "-c",
            "1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    saved = (app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.broker_url = redis_url
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    try:
        yield proc
    finally:
        app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = saved
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        print(output)


def test_a_real_worker_runs_the_sweep_sent_through_redis(worker):
    bulk_issues(5, due_at=DUE, divisions=["330603008250", "330602002045"])
    as_of = DUE + timedelta(minutes=1)

    # An explicit connection: the app's producer pool may already point at the broker of
    # an earlier test in this session, and changing broker_url does not rebuild it.
    from sanbufu.celery import app

    with app.connection_for_write(app.conf.broker_url) as conn:
        escalate_overdue_task.apply_async(
            args=[as_of.isoformat()], connection=conn, queue=app.conf.task_default_queue
        )

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Issue.objects.filter(tier="town").count() == 5:
            break
        assert worker.poll() is None, "the worker exited"
        time.sleep(0.3)
    assert Issue.objects.filter(tier="town").count() == 5
    assert Issue.objects.filter(tier="village").count() == 0
    events = IssueEvent.objects.filter(kind="escalated", reason="overdue")
    assert events.count() == 5
    assert set(events.values_list("at", flat=True)) == {as_of}
