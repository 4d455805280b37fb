"""A sweep whose worker is killed mid-run is taken up again within minutes, not at the next
hourly run: by the five-minute follow-up, and by the broker handing the unacknowledged
message back soon after the task's time limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

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
