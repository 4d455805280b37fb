"""The probes: /healthz (the process answers) and /readyz (everything it needs answers).

/readyz runs each check, timed, and answers 503 when one fails: the database, migrations all
applied, the broker, beat alive (the overdue sweep, scheduled every five minutes, finished
within SANBUFU_BEAT_SILENT_AFTER seconds) and at least one worker answering a ping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from .metrics import SWEEP_TASK
from .models import TaskRun


class CheckFailed(Exception):
    pass


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def check_migrations() -> str:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise CheckFailed(f"{len(plan)} not applied: {names}")
    return "all applied"


def check_broker() -> str:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    return conn.as_uri()


def check_beat() -> str:
    run = TaskRun.objects.filter(task=SWEEP_TASK).only("finished_at").first()
    if run is None:
        raise CheckFailed("the overdue sweep has never run")
    age = timezone.now() - run.finished_at
    if age > timedelta(seconds=settings.SANBUFU_BEAT_SILENT_AFTER):
        raise CheckFailed(f"the overdue sweep last ran {int(age.total_seconds())} s ago")
    return f"the overdue sweep ran {int(age.total_seconds())} s ago"


def check_worker() -> str:
    # The first answer will do: without a limit the ping waits out its whole timeout.
    replies = current_app.control.ping(timeout=settings.SANBUFU_WORKER_PING_TIMEOUT, limit=1)
    if not replies:
        raise CheckFailed("no worker answered a ping")
    return ", ".join(sorted(name for reply in replies for name in reply))


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "beat": check_beat,
    "worker": check_worker,
}
# A check not worth running when another has failed: it would only wait out its timeout.
NEEDS = {"migrations": "database", "beat": "database", "worker": "broker"}


def run_checks(names: list[str] | None = None) -> dict:
    """Run the named checks (all by default): {"status", "checked_at", "checks": {name:
    {"ok", "seconds", "detail"}}}."""
    results: dict[str, dict] = {}
    for name in names or list(CHECKS):
        needed = NEEDS.get(name)
        if needed in results and not results[needed]["ok"]:
            results[name] = {"ok": False, "seconds": 0.0, "detail": f"not checked: {needed} failed"}
            continue
        started = time.monotonic()
        try:
            detail, ok = CHECKS[name](), True
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            detail, ok = f"{type(exc).__name__}: {exc}"[:300], False
        results[name] = {
            "ok": ok,
            "seconds": round(time.monotonic() - started, 4),
            "detail": detail,
        }
    return {
        "status": "ok" if all(r["ok"] for r in results.values()) else "failing",
        "checked_at": timezone.now().isoformat(),
        "checks": results,
    }


def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers; nothing else is asked (a liveness probe)."""
    return _no_store(JsonResponse({"status": "ok", "checked_at": timezone.now().isoformat()}))


def readyz(request: HttpRequest) -> JsonResponse:
    result = run_checks()
    return _no_store(JsonResponse(result, status=200 if result["status"] == "ok" else 503))


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response
