"""Log lines: plain text in development, one JSON object per line in production
(LOG_FORMAT=json), each carrying the id of the request or task it was written for."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from common import requestid


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = requestid.get()
        return True


class JsonFormatter(_JsonFormatter):
    """time, level, logger, message and request_id, then whatever `extra` the call gave."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "{asctime}{levelname}{name}{message}{request_id}")
        kwargs.setdefault("style", "{")
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)
