"""The API's one map from errors to HTTP (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]).

Services raise the domain errors of common.errors and Django's ValidationError; views let them
through, and this handler answers NotFound 404, NotPermitted 403, TransitionError (and
StaleVersion) 409, and ValidationError 400 in DRF's shape ({field: [messages]}).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import BaseRenderer
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, NotFound, NotPermitted
from .tables import XLSX_MEDIA_TYPE, Table, write_csv, write_xlsx


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request does not fit the current state.")
    default_code = "conflict"


def as_api_exception(exc: Exception) -> Exception:
    """The DRF exception answering a domain or Django validation error; others unchanged."""
    if isinstance(exc, NotFound):
        return exceptions.NotFound(exc.message)
    if isinstance(exc, NotPermitted):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, DomainError):
        return Conflict(exc.message)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    return exc


def exception_handler(exc: Exception, context: dict):
    return drf_exception_handler(as_api_exception(exc), context)


# Spreadsheets: CSV (`Accept: text/csv` or `?format=csv`) and XLSX (`?format=xlsx`). A view
# that can be exported answers with a `Table` when the accepted renderer is tabular; anything
# else that reaches these renderers (an error body) is written as a two-column table, so a
# client asking for CSV still reads why its request failed.


def is_tabular(request) -> bool:
    return isinstance(getattr(request, "accepted_renderer", None), TabularRenderer)


def _as_table(data) -> Table:
    if isinstance(data, Table):
        return data
    if isinstance(data, dict):
        return Table(["field", "message"], [[k, str(v)] for k, v in data.items()])
    return Table(["message"], [[str(data)]])


class TabularRenderer(BaseRenderer):
    charset = None


class CSVRenderer(TabularRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return write_csv(_as_table(data))


class XLSXRenderer(TabularRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return write_xlsx(_as_table(data))
