"""Prometheus metrics: requests, SQL statements and Celery tasks counted as they happen, and
the domain's gauges computed when scraped.

The domain gauges read the issue table and its neighbours with grouped queries (rows that
several gauges need are read once per computation, on the Scrape), and the whole set is
cached for SANBUFU_METRICS_CACHE_SECONDS, so a scrape costs a fixed handful of queries at
most and none while the cache holds: never a scan per scrape.

A gauge is a function of a Scrape returning its samples ({labels: value}), plus a line in
DOMAIN_GAUGES; a gauge over another app's table is one more query, whatever the data.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn's and Celery's worker processes), each process
writes its counters to files there and a scrape adds them up (prometheus_client's
multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from ipaddress import ip_address

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "sanbufu_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "sanbufu_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"]
)
REQUEST_QUERIES = Histogram(
    "sanbufu_http_request_queries",
    "SQL statements run to answer one HTTP request.",
    ["route"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
QUERIES = Counter("sanbufu_db_queries", "SQL statements run (web and workers).", ["vendor"])
TASKS = Counter("sanbufu_celery_tasks", "Celery tasks run, by outcome.", ["task", "state"])
TASK_SECONDS = Histogram(
    "sanbufu_celery_task_duration_seconds",
    "Time a Celery task ran.",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800),
)

SWEEP_TASK = "issues.tasks.escalate_overdue_task"


# --- Domain gauges -----------------------------------------------------------------------------

Samples = dict[tuple[str, ...], float]


class Scrape:
    """What the gauges of one computation share: the moment, and rows several gauges read."""

    def __init__(self) -> None:
        self.now = timezone.now()

    @cached_property
    def task_runs(self) -> dict:
        """The last run of each scheduled task (a handful of rows)."""
        from .models import TaskRun

        return {run.task: run for run in TaskRun.objects.all()}

    @cached_property
    def issues_by_tier(self) -> dict[str, tuple[int, int, int, int]]:
        """Unresolved and overdue issues at each tier, and the work orders not signed for
        (all, and past their window), in one grouped query."""
        from dispatch.models import TIERS
        from issues.models import Issue

        unsigned = Q(status=Issue.Status.ASSIGNED, acknowledged_at__isnull=True)
        rows = (
            Issue.objects.unresolved()
            .order_by()
            .values_list("tier")
            .annotate(
                n=Count("id"),
                overdue=Count("id", filter=Q(due_at__lt=self.now)),
                unsigned=Count("id", filter=unsigned),
                unsigned_late=Count("id", filter=unsigned & Q(ack_due_at__lt=self.now)),
            )
        )
        counts = {tier: tuple(figures) for tier, *figures in rows}
        return {tier: counts.get(tier, (0, 0, 0, 0)) for tier in TIERS}

    @property
    def sweep_run(self):
        return self.task_runs.get(SWEEP_TASK)


@dataclass(frozen=True)
class DomainGauge:
    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[Scrape], Samples]


def open_issues(scrape: Scrape) -> Samples:
    return {(tier,): figures[0] for tier, figures in scrape.issues_by_tier.items()}


def overdue_issues(scrape: Scrape) -> Samples:
    return {(tier,): figures[1] for tier, figures in scrape.issues_by_tier.items()}


def unacknowledged_work_orders(scrape: Scrape) -> Samples:
    return {(tier,): figures[2] for tier, figures in scrape.issues_by_tier.items()}


def unacknowledged_work_orders_late(scrape: Scrape) -> Samples:
    return {(tier,): figures[3] for tier, figures in scrape.issues_by_tier.items()}


def sweep_last_duration(scrape: Scrape) -> Samples:
    run = scrape.sweep_run
    return {(): run.duration} if run else {}


def sweep_last_moved(scrape: Scrape) -> Samples:
    run = scrape.sweep_run
    if run is None or not isinstance(run.result, dict):
        return {}
    return {(): sum(int(n) for n in run.result.values())}


def sweep_last_finished(scrape: Scrape) -> Samples:
    run = scrape.sweep_run
    return {(): run.finished_at.timestamp()} if run else {}


def scheduled_task_failed(scrape: Scrape) -> Samples:
    return {
        (task,): float(run.state == run.State.FAILURE) for task, run in scrape.task_runs.items()
    }


def scheduled_task_last_finished(scrape: Scrape) -> Samples:
    return {(task,): run.finished_at.timestamp() for task, run in scrape.task_runs.items()}


def webhook_deliveries_failed(scrape: Scrape) -> Samples:
    from integrations.models import WebhookDelivery

    return {(): WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED).count()}


def text_messages_failed(scrape: Scrape) -> Samples:
    from sms.models import TextMessage

    return {(): TextMessage.objects.filter(status=TextMessage.Status.FAILED).count()}


def outbox_waiting(scrape: Scrape) -> Samples:
    from durable.models import OutboxMessage

    return {(): OutboxMessage.objects.count()}


DOMAIN_GAUGES = [
    DomainGauge("sanbufu_issues_open", "Unresolved issues, by tier.", ("tier",), open_issues),
    DomainGauge(
        "sanbufu_issues_overdue",
        "Unresolved issues past their tier's deadline, by tier.",
        ("tier",),
        overdue_issues,
    ),
    DomainGauge(
        "sanbufu_sweep_last_duration_seconds",
        "How long the overdue sweep's last run took.",
        (),
        sweep_last_duration,
    ),
    DomainGauge(
        "sanbufu_sweep_last_moved_issues",
        "Issues the overdue sweep's last run moved up a tier or put under supervision.",
        (),
        sweep_last_moved,
    ),
    DomainGauge(
        "sanbufu_sweep_last_finished_timestamp_seconds",
        "When the overdue sweep last finished (Unix time).",
        (),
        sweep_last_finished,
    ),
    DomainGauge(
        "sanbufu_scheduled_task_last_failed",
        "1 when a scheduled task's last run failed (the sweep, the Monday convening, ...).",
        ("task",),
        scheduled_task_failed,
    ),
    DomainGauge(
        "sanbufu_scheduled_task_last_finished_timestamp_seconds",
        "When each scheduled task last finished (Unix time).",
        ("task",),
        scheduled_task_last_finished,
    ),
    DomainGauge(
        "sanbufu_work_orders_unacknowledged",
        "Issues assigned to a department that has not signed for them (签收), by tier.",
        ("tier",),
        unacknowledged_work_orders,
    ),
    DomainGauge(
        "sanbufu_work_orders_unacknowledged_late",
        "Of those, the ones past their signing window (ACK_WORKING_HOURS), by tier.",
        ("tier",),
        unacknowledged_work_orders_late,
    ),
    DomainGauge(
        "sanbufu_webhook_deliveries_failed",
        "Webhook deliveries that failed for good (retries used up).",
        (),
        webhook_deliveries_failed,
    ),
    DomainGauge(
        "sanbufu_text_messages_failed",
        "Text messages the provider refused or that failed for good (retries used up).",
        (),
        text_messages_failed,
    ),
    DomainGauge(
        "sanbufu_outbox_messages",
        "Tasks waiting in the outbox for the broker.",
        (),
        outbox_waiting,
    ),
]

_CACHE_KEY = "ops:domain-gauges"


def domain_samples() -> dict[str, list[tuple[list[str], float]]]:
    """Every domain gauge's samples, from the cache or computed once for all scrapers."""
    samples = cache.get(_CACHE_KEY)
    if samples is None:
        scrape = Scrape()
        samples = {
            g.name: [(list(labels), float(v)) for labels, v in g.read(scrape).items()]
            for g in DOMAIN_GAUGES
        }
        cache.set(_CACHE_KEY, samples, settings.SANBUFU_METRICS_CACHE_SECONDS)
    return samples


class DomainCollector:
    def collect(self):
        samples = domain_samples()
        for gauge in DOMAIN_GAUGES:
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labels)
            for labels, value in samples.get(gauge.name, []):
                family.add_metric(labels, value)
            yield family


# --- The endpoint ------------------------------------------------------------------------------


def counted_registry() -> CollectorRegistry:
    """This process's counters and histograms; in multiprocess mode every process's, added up."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
        return counted
    return REGISTRY


def exposition() -> bytes:
    """What a scrape shows: the counted metrics, then the domain gauges."""
    counted = counted_registry()
    domain = CollectorRegistry(auto_describe=False)
    domain.register(DomainCollector())
    return generate_latest(counted) + generate_latest(domain)


def allowed(request: HttpRequest) -> bool:
    """A scraper sending `Authorization: Bearer <METRICS_TOKEN>`, or one whose address lies in
    METRICS_ALLOWED_NETWORKS."""
    token = settings.SANBUFU_METRICS_TOKEN
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip(), token):
        return True
    try:
        address = ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.SANBUFU_METRICS_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        response = HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
