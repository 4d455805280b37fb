"""Sending a text message, and the opt-out list every send honours."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from durable.outbox import enqueue_on_commit

from .models import OptOut, TextMessage

_NOT_DIGITS = re.compile(r"[^\d+]")


def normalise_phone(phone: str) -> str:
    """A mainland number as its 11 digits (spaces, dashes and +86 dropped); others as given."""
    phone = _NOT_DIGITS.sub("", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


def queue_sms(
    phone: str, text: str, *, template: str = "", params: Sequence[str] = ()
) -> TextMessage | None:
    """Record a message to `phone` and queue its sending once the current transaction commits
    (through the outbox: a broker that is down delays it, never fails the caller). A phone on
    the opt-out list gets a `suppressed` record and nothing is sent. None without a phone."""
    phone = normalise_phone(phone)
    if not phone:
        return None
    opted_out = OptOut.objects.filter(phone=phone).exists()
    message = TextMessage.objects.create(
        phone=phone,
        text=text,
        template=template,
        params=[str(p) for p in params],
        status=TextMessage.Status.SUPPRESSED if opted_out else TextMessage.Status.QUEUED,
    )
    if not opted_out:
        from .tasks import deliver_sms  # the task module imports this one

        enqueue_on_commit(deliver_sms, message.pk)
    return message


def opt_out(phone: str) -> bool:
    """Put `phone` on the opt-out list (a reply of TD, or a request to an office); messages
    still queued for it are not sent. True when it was not on the list yet."""
    phone = normalise_phone(phone)
    with transaction.atomic():
        _row, created = OptOut.objects.get_or_create(phone=phone)
        TextMessage.objects.filter(phone=phone, status=TextMessage.Status.QUEUED).update(
            status=TextMessage.Status.SUPPRESSED
        )
    return created


def opt_in(phone: str) -> None:
    OptOut.objects.filter(phone=normalise_phone(phone)).delete()


def forget_messages(*, before: datetime) -> int:
    """Blank the phone, text and parameters of messages created before `before` (their
    retention ended); their status and times stay, for the counts of sent and failed."""
    return (
        TextMessage.objects.filter(created_at__lt=before)
        .exclude(phone="")
        .update(phone="", text="", params=[])
    )
