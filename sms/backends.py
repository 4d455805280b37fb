"""Text-message backends, chosen by settings.SMS_BACKEND (a short name or a dotted path), as
Django chooses its mail backend.

A backend's `send(message)` hands one message to its transport and returns the provider's id
for it (or ""). It raises `TransientError` when trying again later may succeed (the provider
is unreachable, overloaded or throttling) and `PermanentError` when it will not (a number or
template refused); the sending task retries the first and records the second.
"""

from __future__ import annotations

import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

SHORT_NAMES = {
    "console": "sms.backends.ConsoleBackend",
    "locmem": "sms.backends.LocmemBackend",
    "filebased": "sms.backends.FileBasedBackend",
    "tencent": "sms.tencent.TencentBackend",
}


class SmsError(Exception):
    """A message the backend could not send."""


class TransientError(SmsError):
    """The transport failed in a way that trying again later may cure."""


class PermanentError(SmsError):
    """The provider refused the message; sending it again would be refused again."""


@dataclass(frozen=True)
class Outgoing:
    """What a backend sends: the text, and for template-only providers the template's name
    (a key of settings.SMS_TEMPLATES) and its parameters, in order."""

    phone: str
    text: str
    template: str = ""
    params: list[str] = field(default_factory=list)


class BaseBackend:
    def send(self, message: Outgoing) -> str:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Writes each message to standard output: development's default."""

    def send(self, message: Outgoing) -> str:
        sys.stdout.write(f"SMS to {message.phone}: {message.text}\n")
        sys.stdout.flush()
        return ""


class LocmemBackend(BaseBackend):
    """Keeps messages in `LocmemBackend.outbox` (tests), as django.core.mail's locmem does."""

    outbox: ClassVar[list[Outgoing]] = []

    def send(self, message: Outgoing) -> str:
        LocmemBackend.outbox.append(message)
        return f"locmem-{len(LocmemBackend.outbox)}"


class FileBasedBackend(BaseBackend):
    """One file per message under settings.SMS_FILE_PATH: the phone on the first line, the text
    after it."""

    _lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        directory = Path(settings.SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.txt"
        with self._lock:
            (directory / name).write_text(f"{message.phone}\n{message.text}\n", encoding="utf-8")
        return name


def get_backend(name: str | None = None) -> BaseBackend:
    """The backend named by `name` or settings.SMS_BACKEND."""
    name = name or settings.SMS_BACKEND
    return import_string(SHORT_NAMES.get(name, name))()
