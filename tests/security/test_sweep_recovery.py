"""A sweep whose worker is killed mid-run is taken up again within minutes, not at the next
hourly run: by the five-minute follow-up, and by the broker handing the unacknowledged
message back soon after the task's time limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sweep_runs(start: datetime, hours: int = 2) -> list[datetime]:
    """Every minute in `hours` after `start` at which beat sends the sweep."""
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "issues.tasks.escalate_overdue_task"
    ]
    minutes = [start + timedelta(minutes=m) for m in range(hours * 60)]
    return [
        moment
        for moment in minutes
        if any(
            moment.minute in entry["schedule"].minute and moment.hour in entry["schedule"].hour
            for entry in entries
        )
    ]


def test_a_sweep_runs_at_least_every_five_minutes():
    start = datetime(2026, 11, 24, 9, 3, tzinfo=SHANGHAI)  # two minutes before the hourly run
    runs = sweep_runs(start)
    gaps = [b - a for a, b in zip([start, *runs], runs, strict=False)]
    assert runs and max(gaps) <= timedelta(minutes=5)


def test_follow_up_runs_expire_before_the_next_one_is_sent():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        if entry["task"] == "issues.tasks.escalate_overdue_task" and "*/" in str(
            entry["schedule"]._orig_minute
        ):
            assert entry["options"]["expires"] < 5 * 60
            break
    else:
        raise AssertionError("no follow-up sweep in the beat schedule")


def test_a_killed_workers_sweep_returns_to_the_queue_soon_after_its_time_limit():
    # Settings as a deployment with Redis reads them (this process reads them without).
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "x"}
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], "
        "s.CELERY_TASK_TIME_LIMIT]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "sanbufu.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    visibility_timeout, time_limit = json.loads(out.strip().splitlines()[-1])
    # Never redelivered while it may still be running; back within minutes of the limit.
    assert time_limit < visibility_timeout <= time_limit + 10 * 60


# --- A real worker killed mid-sweep -----------------------------------------------------------


def start_worker(redis_url: str, queue: str) -> subprocess.Popen:
    from tests.issues.test_celery_worker import database_url

    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        REDIS_URL=redis_url,
        DATABASE_URL=database_url(),
        SECRET_KEY=os.environ.get("SECRET_KEY") or "test",
        SWEEP_BATCH="1",  # one issue per transaction: a sweep slow enough to kill halfway
        PYTHONUNBUFFERED="1",
    )
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "sanbufu", "worker", "--pool=solo", "-Q", queue]
        + ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.redis
@pytest.mark.slow
def test_a_sweep_killed_mid_run_is_finished_by_the_next_moving_each_issue_once(
    redis_url, transactional_db
):
    import redis

    from issues.models import Issue, IssueEvent
    from issues.tasks import escalate_overdue_task
    from sanbufu.celery import app
    from tests.factories import bulk_issues

    due = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    total = 400
    bulk_issues(total, due_at=due, divisions=["330603008250", "330602002045"])
    queue = f"sanbufu-test-{uuid.uuid4().hex[:8]}"
    broker = redis.Redis.from_url(redis_url)

    def send(as_of: datetime) -> None:
        with app.connection_for_write(redis_url) as conn:
            escalate_overdue_task.apply_async(
                args=[as_of.isoformat()], connection=conn, queue=queue
            )

    def moved() -> int:
        return Issue.objects.filter(tier="town").count()

    first = start_worker(redis_url, queue)
    second = None
    try:
        send(due + timedelta(minutes=1))
        deadline = time.monotonic() + 60
        while moved() < 20 and time.monotonic() < deadline:
            assert first.poll() is None, "the worker exited"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        halfway = moved()
        assert 0 < halfway < total, "the sweep was not killed mid-run"
        # The killed run's message is held unacknowledged: the broker hands it back once the
        # visibility timeout passes.
        assert broker.hlen("unacked") >= 1

        # The follow-up run, as beat sends it five minutes later.
        second = start_worker(redis_url, queue)
        send(due + timedelta(minutes=5))
        deadline = time.monotonic() + 120
        while moved() < total and time.monotonic() < deadline:
            assert second.poll() is None, "the worker exited"
            time.sleep(0.2)
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)
        for key in ("unacked", "unacked_index", queue):
            broker.delete(key)

    assert moved() == total
    assert Issue.objects.filter(tier="village").count() == 0
    assert Issue.objects.filter(escalation_count=1).count() == total
    escalated = IssueEvent.objects.filter(kind="escalated", reason="overdue", tier_to="town")
    assert escalated.count() == total
