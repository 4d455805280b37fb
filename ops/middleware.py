"""First in MIDDLEWARE: every request gets an id (the proxy's X-Request-ID when plausible),
is counted and timed, and the probes and /metrics are answered here, before the host check
and the HTTPS redirect, because health checks and scrapers call a container by its own
address over plain HTTP."""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, HttpResponse

from common import requestid

from . import health, metrics
from .signals import count_queries

logger = logging.getLogger("sanbufu.requests")

ENDPOINTS = {
    "/healthz": health.healthz,
    "/readyz": health.readyz,
    "/metrics": metrics.metrics_view,
}


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = requestid.accept(request.headers.get("X-Request-ID"))
        token = requestid.current.set(request_id)
        try:
            endpoint = ENDPOINTS.get(request.path_info)
            response = endpoint(request) if endpoint is not None else self._counted(request)
            response["X-Request-ID"] = request_id
            return response
        finally:
            requestid.current.reset(token)

    def _counted(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        with count_queries() as queries:
            response = self.get_response(request)
        seconds = time.monotonic() - started
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "<unmatched>"
        metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.REQUEST_SECONDS.labels(request.method, route).observe(seconds)
        metrics.REQUEST_QUERIES.labels(route).observe(queries[0])
        # The access log, one line per request, in the same format as every other line.
        logger.info(
            "%s %s %s in %.3f s",
            request.method,
            request.path,
            response.status_code,
            seconds,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "seconds": round(seconds, 4),
                "queries": queries[0],
            },
        )
        return response
