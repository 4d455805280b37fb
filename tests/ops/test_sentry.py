"""Error reports go to Sentry when SENTRY_DSN is set (here a receiver on 127.0.0.1), and
nowhere when it is not."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

from .. import workers
from ..issues.test_celery_worker import BASE_DIR

REPORT = """
import django, sentry_sdk
django.setup()
print("active" if sentry_sdk.get_client().is_active() else "inactive")
try:
    1 / 0
except ZeroDivisionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
"""


def run(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    env.update(DJANGO_SETTINGS_MODULE="sanbufu.settings", SECRET_KEY="sentry-test", **env_extra)
    done = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_errors_are_reported_to_sentry_when_a_dsn_is_set():
    with workers.Receiver() as receiver:
        dsn = f"http://publickey@127.0.0.1:{receiver.port}/42"
        assert run({"SENTRY_DSN": dsn}) == "active"
    assert receiver.calls, "no report reached the receiver"
    call = receiver.calls[0]
    assert call["method"] == "POST" and call["path"].startswith("/api/42/")
    body = call["body"]
    if call["headers"].get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    assert b"ZeroDivisionError" in body


def test_nothing_is_reported_without_a_dsn():
    assert run({}) == "inactive"
