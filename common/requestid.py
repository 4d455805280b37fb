"""The id of the request (or task) being served, which log lines carry and which follows a
request into the tasks it queues (a message header; the outbox row while it waits)."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

current: ContextVar[str] = ContextVar("request_id", default="")

# What a proxy may hand us as X-Request-ID: short and plain, so a log line stays one line.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new() -> str:
    return uuid.uuid4().hex


def accept(value: str | None) -> str:
    """The id a proxy sent when it is plausible, else a new one."""
    if value and _VALID.match(value):
        return value
    return new()


def get() -> str:
    return current.get()
