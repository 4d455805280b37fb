"""A real Celery worker in its own process, on Redis, logging JSON lines to a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from .. import workers
from ..issues.test_celery_worker import BASE_DIR, database_url


@dataclass
class Worker:
    proc: subprocess.Popen
    queue: str
    log: Path

    def lines(self) -> list[dict]:
        """The worker's log lines that are JSON objects (all of ours)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found


@pytest.fixture
def json_worker(redis_url, transactional_db, tmp_path):
    """A worker (LOG_FORMAT=json) on a queue of its own, with this process's Celery app
    pointed at the same Redis and queue."""
    queue = f"sanbufu-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="sanbufu.settings",
        REDIS_URL=redis_url,
        DATABASE_URL=database_url(),
        SECRET_KEY=os.environ.get("SECRET_KEY") or "test",
        LOG_FORMAT="json",
        WEBHOOK_ALLOW_LOOPBACK="1",
        PYTHONUNBUFFERED="1",
    )
    celery = Path(sys.executable).with_name("celery")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(celery),
                "-A",
                "sanbufu",
                "worker",
                "--pool=solo",
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
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with workers.broker(redis_url) as app:
            app.conf.task_default_queue = queue
            try:
                yield Worker(proc, queue, log)
            finally:
                app.conf.task_default_queue = "celery"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(log.read_text(errors="replace")[-5000:])
