"""Reads on a PostgreSQL streaming replica, when DATABASE_REPLICA_URL names one.

Only web requests that read use the replica: the lists, pages and statistics of a GET. Every
write, every read inside a transaction (a service's row lock and the reads beside it), every
read of a request that writes or follows a write by the same client within
REPLICA_PIN_SECONDS (so the page shown after a POST never misses what was just written while
the replica catches up), and everything Celery and the commands do (a task reads the events
its transaction just committed) go to the primary. Without DATABASE_REPLICA_URL there is one
database and this routes nothing.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PIN_COOKIE = "sanbufu_primary"
# True only while a web request that may read from the replica is being answered.
_on_replica: ContextVar[bool] = ContextVar("sanbufu_on_replica", default=False)
_wrote: ContextVar[bool] = ContextVar("sanbufu_wrote", default=False)


def replica_enabled() -> bool:
    return settings.SANBUFU_READ_REPLICA and REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if not _on_replica.get() or connections["default"].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model, **hints) -> str | None:
        # From the first write on, this request reads its own writes: the primary.
        _on_replica.set(False)
        _wrote.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return True  # the replica is a copy of the primary: the same rows


class ReplicaPinMiddleware:
    """Lets a reading request (GET, HEAD, OPTIONS) of a client that has not written in the
    last REPLICA_PIN_SECONDS read from the replica; marks a client that writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_enabled():
            return self.get_response(request)
        reading = request.method in ("GET", "HEAD", "OPTIONS")
        on = _on_replica.set(reading and PIN_COOKIE not in request.COOKIES)
        wrote = _wrote.set(False)
        try:
            response = self.get_response(request)
            if _wrote.get():
                response.set_cookie(
                    PIN_COOKIE,
                    "1",
                    max_age=settings.SANBUFU_REPLICA_PIN_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
            return response
        finally:
            _on_replica.reset(on)
            _wrote.reset(wrote)
