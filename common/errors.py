"""The domain errors every service raises, mapped to HTTP in one place (common.drf for the
API, common.forms for the pages). `message` is readable by the person who acted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    """Base of the domain errors."""

    def __init__(self, message: StrOrPromise = ""):
        super().__init__(message)
        self.message = str(message)


class NotFound(DomainError):
    """Outside the actor's jurisdiction: for them it does not exist (404)."""


class NotPermitted(DomainError):
    """The actor sees it but may not take this action (403)."""


class TransitionError(DomainError):
    """The action does not fit the current state (409)."""


class StaleVersion(TransitionError):
    """The row changed since the client read it (409)."""


def http_status(exc: DomainError) -> int:
    """The HTTP status of a domain error: 404, 403 or 409."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, NotPermitted):
        return 403
    return 409
