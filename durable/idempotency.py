"""Idempotency keys: a write sent again with the same key answers as the first time, instead
of being done twice.

The API: a view method decorated with `idempotent` honours the `Idempotency-Key` header.
The first successful answer (status and body) is stored in the same transaction as the
write; the same key from the same user within SANBUFU_IDEMPOTENCY_TTL replays it, and the
same key with another request (method, path or body) is a 422. Failed requests write
nothing and store nothing, so they may be retried with the same key.

Pages: a form carries a one-time token (`new_token`) and its view stores its answer under
that token with `remember`, so a resubmission finds it with `find` and shows the first result.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


HEADER_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (up to 255 characters): a retry with the same key and body "
        "within 24 hours answers as the first time instead of writing again; the same key "
        "with another request is a 422."
    ),
)
KEY_REUSED_RESPONSE = OpenApiResponse(description="Idempotency-Key reused for another request.")


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different request; "
        "send a new key with a new request."
    )
    default_code = "idempotency_key_reused"


def _cutoff():
    return timezone.now() - timedelta(seconds=settings.SANBUFU_IDEMPOTENCY_TTL)


def find(user, key: str) -> IdempotencyKey | None:
    """The answer stored under `key` for `user`, unless it has expired."""
    return IdempotencyKey.objects.filter(user=user, key=key, created_at__gte=_cutoff()).first()


def remember(user, key: str, *, status_code: int, body, fingerprint: str = "") -> None:
    """Store the answer to a write under `key`; call it inside the write's transaction.

    Raises IntegrityError when a concurrent request stored the same key first: its caller's
    transaction then rolls back, and `find` gives the answer to replay."""
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=_cutoff()).delete()
    IdempotencyKey.objects.create(
        user=user, key=key, fingerprint=fingerprint, status_code=status_code, body=body
    )


def purge_expired() -> int:
    return IdempotencyKey.objects.filter(created_at__lt=_cutoff()).delete()[0]


def new_token() -> str:
    """A one-time token for a form, issued with the page."""
    return secrets.token_urlsafe(24)


def fingerprint(request) -> str:
    """What the request asks for: method, path and parsed body, whatever its encoding."""
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict of a form-encoded or multipart body
        data = {k: v for k, v in data.lists()}
    body = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    raw = "\0".join([request.method, request.path, body])
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(previous: IdempotencyKey, print_: str) -> Response:
    if previous.fingerprint != print_:
        raise KeyReused()
    return Response(
        previous.body, status=previous.status_code, headers={"Idempotent-Replayed": "true"}
    )


def idempotent(view_method):
    """Make a DRF view method honour the Idempotency-Key header (see the module's note)."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {"idempotency_key": [_("Send a key of 1 to 255 characters.")]}
            )
        print_ = fingerprint(request)
        previous = find(request.user, key)
        if previous is not None:
            return _replay(previous, print_)
        try:
            with transaction.atomic():
                response = view_method(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    remember(
                        request.user,
                        key,
                        status_code=response.status_code,
                        body=response.data,
                        fingerprint=print_,
                    )
        except IntegrityError:
            # A concurrent request with the same key committed first; this one's write has
            # rolled back with the transaction, and the first answer stands.
            previous = find(request.user, key)
            if previous is None:
                raise
            return _replay(previous, print_)
        return response

    return extend_schema(parameters=[HEADER_PARAMETER], responses={422: KEY_REUSED_RESPONSE})(
        wrapper
    )
