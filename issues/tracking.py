"""The resident's link to their issue: a short signed token carrying the issue's number and
the moment it was issued, valid for settings.RESIDENT_LINK_DAYS days.

Short because it travels in a text message: the number and the day it was issued in base 36,
and 12 characters of an HMAC-SHA256 (72 bits) under the site's secret key; a link is only
ever guessed online, one request at a time.
"""

from __future__ import annotations

import base64
import hmac
import time

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

_SALT = "sanbufu.issues.tracking"


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _signature(payload: str) -> str:
    digest = salted_hmac(_SALT, payload, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:12]


def _day(now: float | None) -> int:
    return int((now if now is not None else time.time()) // 86400)


def make_token(issue_id: int, *, now: float | None = None) -> str:
    payload = f"{_b36(issue_id)}.{_b36(_day(now))}"
    return f"{payload}.{_signature(payload)}"


def read_token(token: str, *, now: float | None = None) -> int | None:
    """The issue number in `token`, or None when it is malformed, tampered with or expired."""
    try:
        number, issued, signature = token.split(".")
        payload = f"{number}.{issued}"
        if not hmac.compare_digest(signature.encode(), _signature(payload).encode()):
            return None
        age = _day(now) - int(issued, 36)
        issue_id = int(number, 36)
    except (ValueError, UnicodeError):
        return None
    if age < 0 or age > settings.RESIDENT_LINK_DAYS:
        return None
    return issue_id


def resident_link(issue_id: int) -> str:
    """The absolute address of the resident's page of an issue, as sent in messages."""
    path = reverse("residents:page", kwargs={"token": make_token(issue_id)})
    return f"{settings.SITE_URL.rstrip('/')}{path}"
