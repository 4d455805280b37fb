"""Hooks into Celery and the database: the request id travels in each task message's headers
and is set while the task runs; every task is counted, timed and logged in one line; the
last run of each scheduled task is recorded (ops.models.TaskRun); every SQL statement is
counted."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import timedelta

from celery import signals as celery_signals
from django.conf import settings
from django.db import DatabaseError
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import timezone
from prometheus_client import start_http_server

from common import requestid

from . import metrics

logger = logging.getLogger("sanbufu.tasks")

# --- SQL statements ------------------------------------------------------------------------

_request_queries: ContextVar[list[int] | None] = ContextVar("request_queries", default=None)


@contextmanager
def count_queries() -> Iterator[list[int]]:
    """Count the statements run inside the block, in this context only: [count]."""
    box = [0]
    token = _request_queries.set(box)
    try:
        yield box
    finally:
        _request_queries.reset(token)


def _counting_wrapper(vendor: str):
    counter = metrics.QUERIES.labels(vendor)

    def wrapper(execute, sql, params, many, context):
        counter.inc()
        box = _request_queries.get()
        if box is not None:
            box[0] += 1
        return execute(sql, params, many, context)

    return wrapper


@receiver(connection_created)
def _count_statements(sender, connection, **kwargs):
    connection.execute_wrappers.append(_counting_wrapper(connection.vendor))


# --- Celery --------------------------------------------------------------------------------

_running: dict[str, tuple[float, object, object]] = {}


@celery_signals.before_task_publish.connect
def _carry_request_id(headers=None, **kwargs):
    if headers is not None and not headers.get("request_id"):
        current = requestid.get()
        if current:
            headers["request_id"] = current


def _sent_request_id(task) -> str:
    request = task.request
    sent = getattr(request, "request_id", None)
    if not sent and isinstance(getattr(request, "headers", None), dict):
        sent = request.headers.get("request_id")
    return sent or ""


@celery_signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    # A task run inline (eager) keeps the id of the request running it.
    request_id = _sent_request_id(task) or requestid.get() or requestid.new()
    token = requestid.current.set(request_id)
    _running[task_id] = (time.monotonic(), timezone.now(), token)


@celery_signals.task_postrun.connect
def _task_finished(task_id=None, task=None, retval=None, state=None, **kwargs):
    started = _running.pop(task_id, None)
    if started is None:
        return
    began, started_at, token = started
    seconds = time.monotonic() - began
    try:
        outcome = (state or "unknown").lower()
        metrics.TASKS.labels(task.name, outcome).inc()
        metrics.TASK_SECONDS.labels(task.name).observe(seconds)
        logger.info(
            "task %s %s in %.3f s",
            task.name,
            outcome,
            seconds,
            extra={"task": task.name, "task_id": task_id, "state": outcome, "seconds": seconds},
        )
        if state in ("SUCCESS", "FAILURE") and task.name in scheduled_tasks():
            _record_run(task.name, started_at, seconds, state, retval)
    finally:
        with suppress(ValueError):  # set in another context: nothing of ours to undo
            requestid.current.reset(token)  # type: ignore[arg-type]


@celery_signals.worker_ready.connect
def _serve_worker_metrics(**kwargs):
    if settings.SANBUFU_WORKER_METRICS_PORT:
        serve_worker_metrics(settings.SANBUFU_WORKER_METRICS_PORT)


def serve_worker_metrics(port: int):
    """The worker's counters (its tasks, their SQL) over HTTP on `port`, for Prometheus; in
    multiprocess mode the pool's processes added up. Returns the server."""
    server, _thread = start_http_server(port, registry=metrics.counted_registry())
    return server


def scheduled_tasks() -> set[str]:
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def _record_run(name: str, started_at, seconds: float, state: str, retval) -> None:
    from .models import TaskRun

    failed = state == "FAILURE"
    try:
        TaskRun.objects.update_or_create(
            task=name,
            defaults={
                "started_at": started_at,
                "finished_at": started_at + timedelta(seconds=seconds),
                "duration": seconds,
                "state": TaskRun.State.FAILURE if failed else TaskRun.State.SUCCESS,
                "result": None if failed else _jsonable(retval),
                "error": f"{type(retval).__name__}: {retval}"[:1000] if failed else "",
            },
        )
    except DatabaseError:
        logger.exception("could not record the run of %s", name)


def _jsonable(value):
    return value if isinstance(value, dict | list | int | float | str | bool) else None
