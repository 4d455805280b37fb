"""Refusal of NUL characters in every text input, for every face at once.

PostgreSQL refuses a NUL (0x00) in any text it is given, so one that reaches a query or an
insert is a 500. Django's and DRF's CharFields refuse it, but filters, searches, the admin's
changelist and Open311 read text that no CharField sees. This middleware answers 400 for a
NUL in the query string, a form field or a JSON body before any view runs: the API in its
usual shape ({"field": ["..."]}), Open311 in the specification's error list, pages as plain
text.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

NUL = "\x00"


def _nul_in(value) -> bool:
    """Whether a decoded JSON value holds a NUL in any string, key or nested value."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


def nul_field(request: HttpRequest) -> str | None:
    """The name of the first input carrying a NUL ('' for a body that is not a form), else
    None. The query string and form fields are read decoded; a JSON body is parsed only when
    it holds a NUL or its \\u0000 escape, so most requests pay a byte search."""
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in v for v in values):
            return name.replace(NUL, "")
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in v for v in values):
                return name.replace(NUL, "")
        return None
    body = request.body
    if b"\x00" in body:
        return ""
    if b"\\u0000" in body and content_type.endswith("json"):
        try:
            data = json.loads(body)
        except ValueError:
            return None  # the parser answers a malformed body itself
        if isinstance(data, dict):
            for name, value in data.items():
                if _nul_in(name) or _nul_in(value):
                    return name.replace(NUL, "")
        elif _nul_in(data):
            return ""
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = nul_field(request)
        except MultiPartParserError:
            # A form body that cannot be parsed (a multipart without its boundary) would fail
            # every view that reads it; it is the client's error, answered here once.
            return refuse(request, "", _("The form body could not be read."))
        if field is None:
            return self.get_response(request)
        return refuse(request, field, _("Null characters are not allowed."))


def refuse(request: HttpRequest, field: str, message: str) -> HttpResponse:
    """A 400 for bad input, in the shape of the face it was sent to."""
    if request.path.startswith("/open311/"):
        # The GeoReport v2 error list, in the format the path asks for.
        if request.path.endswith(".xml"):
            body = (
                '<?xml version="1.0" encoding="utf-8"?><errors><error><code>400</code>'
                f"<description>{escape(message)}</description></error></errors>"
            )
            return HttpResponse(body, status=400, content_type="text/xml; charset=utf-8")
        return JsonResponse(
            [{"code": 400, "description": message}],
            status=400,
            safe=False,
            json_dumps_params={"ensure_ascii": False},
        )
    if request.path.startswith("/api/"):
        key = field or "non_field_errors"
        return JsonResponse({key: [message]}, status=400, json_dumps_params={"ensure_ascii": False})
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
