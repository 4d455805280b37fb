"""/metrics: for a scraper with the token or from an allowed network; Prometheus's text
format (read back with prometheus_client's own parser); the domain gauges right on a built
data set, at a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dispatch.models import Department, Division
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import create_integration
from issues.models import Issue, IssueEvent
from issues.tasks import escalate_overdue_task
from meetings.tasks import convene_meetings_task
from ops.metrics import SWEEP_TASK
from ops.models import TaskRun
from sms.models import TextMessage

from ..factories import CategoryFactory, bulk_issues

TOKEN = "scraper-secret-token-0123456789"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token(settings):
    settings.SANBUFU_METRICS_TOKEN = TOKEN
    settings.SANBUFU_METRICS_NETWORKS = []


def scrape(client, **extra) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def by_tier(samples: dict, name: str) -> dict:
    return {dict(labels)["tier"]: v for (n, labels), v in samples.items() if n == name}


def test_metrics_refuse_a_scraper_without_the_token_or_an_allowed_address(client, settings):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.SANBUFU_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_answer_a_scraper_from_an_allowed_network(client, settings):
    from ipaddress import ip_network

    settings.SANBUFU_METRICS_NETWORKS = [ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.2").status_code == 403


def build_data_set():
    """Two town issues overdue, swept to the county (the sweep's last run: 2 moved), a
    convening that failed; then
    village 3 overdue + 2 in time, town 4 overdue, county 1 in time, one resolved village
    issue, and webhook deliveries: 2 failed, 1 delivered, 1 pending."""
    now = timezone.now()
    water = CategoryFactory(code="water")
    bulk_issues(2, due_at=now - timedelta(hours=1), tier="town", category=water)
    escalate_overdue_task.apply()
    convene_meetings_task.apply(kwargs={"week": "no such week"})  # fails, and is recorded
    bulk_issues(3, due_at=now - timedelta(hours=2), tier="village", category=water)
    bulk_issues(2, due_at=now + timedelta(days=2), tier="village", category=water)
    bulk_issues(4, due_at=now - timedelta(minutes=5), tier="town", category=water)
    bulk_issues(1, due_at=now + timedelta(days=9), tier="county", category=water)
    bulk_issues(1, due_at=now - timedelta(days=9), tier="village", category=water)
    Issue.objects.filter(
        title="批量问题0", tier="village", due_at__lt=now - timedelta(days=1)
    ).update(status=Issue.Status.RESOLVED, resolved_at=now, resolved_tier="village")
    # Two of the overdue town issues are work orders not signed for, one past its window.
    unsigned = list(Issue.objects.filter(tier="town", status="open").values_list("pk", flat=True))
    lanting = Division.objects.get(code="330603008000")
    office = Department.objects.create(division=lanting, name="社会事务办公室")
    for pk, window in [(unsigned[0], -1), (unsigned[1], 4)]:
        Issue.objects.filter(pk=pk).update(
            status=Issue.Status.ASSIGNED,
            department=office,
            ack_due_at=now + timedelta(hours=window),
        )
    for status in ["failed", "sent", "failed", "queued"]:
        TextMessage.objects.create(phone="13812345678", text="您反映的问题已办结。", status=status)
    integration, _ = create_integration(name="市民热线")
    subscription = WebhookSubscription.objects.create(
        integration=integration, target_url="https://hooks.example.org/", secret="s"
    )
    events = list(IssueEvent.objects.order_by("id")[:4])
    for event, status in zip(events, ["failed", "failed", "delivered", "pending"], strict=True):
        WebhookDelivery.objects.create(
            subscription=subscription,
            event=event,
            status=status,
            delivered_at=now if status == "delivered" else None,
        )


def test_metrics_hold_the_domain_gauges(client):
    build_data_set()
    samples = scrape(client)

    assert by_tier(samples, "sanbufu_issues_open") == {
        "village": 5,
        "town": 4,
        "county": 3,
        "city": 0,
    }
    assert by_tier(samples, "sanbufu_issues_overdue") == {
        "village": 3,
        "town": 4,
        "county": 0,
        "city": 0,
    }
    assert by_tier(samples, "sanbufu_work_orders_unacknowledged") == {
        "village": 0,
        "town": 2,
        "county": 0,
        "city": 0,
    }
    assert by_tier(samples, "sanbufu_work_orders_unacknowledged_late")["town"] == 1
    run = TaskRun.objects.get(task=SWEEP_TASK)
    assert samples[("sanbufu_sweep_last_moved_issues", ())] == 2
    assert samples[("sanbufu_sweep_last_duration_seconds", ())] == pytest.approx(run.duration)
    assert samples[("sanbufu_sweep_last_finished_timestamp_seconds", ())] == pytest.approx(
        run.finished_at.timestamp()
    )
    assert samples[("sanbufu_webhook_deliveries_failed", ())] == 2
    assert samples[("sanbufu_text_messages_failed", ())] == 2
    assert samples[("sanbufu_outbox_messages", ())] >= 0
    convening = ("task", "meetings.tasks.convene_meetings_task")
    assert samples[("sanbufu_scheduled_task_last_failed", (("task", SWEEP_TASK),))] == 0
    assert samples[("sanbufu_scheduled_task_last_failed", (convening,))] == 1
    task = ("task", SWEEP_TASK)
    assert samples[("sanbufu_celery_tasks_total", (("state", "success"), task))] >= 1
    assert samples[("sanbufu_celery_task_duration_seconds_count", (task,))] >= 1


def test_metrics_count_requests_and_queries(client, village_cadre):
    client.force_login(village_cadre)
    before = scrape(client)
    client.get("/")
    client.get("/")
    after = scrape(client)
    key = ("sanbufu_http_requests_total", (("method", "GET"), ("route", ""), ("status", "200")))
    assert after[key] - before.get(key, 0) == 2
    timed = ("sanbufu_http_request_duration_seconds_count", (("method", "GET"), ("route", "")))
    assert after[timed] - before.get(timed, 0) == 2
    queries = ("sanbufu_http_request_queries_sum", (("route", ""),))
    assert after[queries] - before.get(queries, 0) > 0
    total = [v for (n, _), v in after.items() if n == "sanbufu_db_queries_total"]
    assert sum(total) > 0


def test_metrics_cost_a_fixed_number_of_queries(client, django_assert_num_queries, query_budget):
    build_data_set()
    with query_budget.measure():
        scrape(client)
    assert query_budget.count and query_budget.count <= 5
    # More of everything, the cache emptied: the same queries.
    now = timezone.now()
    water = CategoryFactory(code="roads")
    bulk_issues(50, due_at=now - timedelta(hours=3), tier="county", category=water)
    bulk_issues(50, due_at=now + timedelta(hours=3), tier="city", category=water)
    WebhookDelivery.objects.update(status="failed", delivered_at=None)
    cache.clear()
    with query_budget.same():
        samples = scrape(client)
    assert by_tier(samples, "sanbufu_issues_overdue")["county"] == 50
    assert samples[("sanbufu_webhook_deliveries_failed", ())] == 4
    # While the cache holds, a scrape asks the database nothing.
    with django_assert_num_queries(0):
        scrape(client)


def test_a_worker_serves_its_task_metrics_over_http():
    import urllib.request

    from ops.signals import serve_worker_metrics

    escalate_overdue_task.apply()
    server = serve_worker_metrics(0)
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        text = urllib.request.urlopen(url, timeout=5).read().decode()
    finally:
        server.shutdown()
        server.server_close()
    families = {f.name for f in text_string_to_metric_families(text)}
    assert {"sanbufu_celery_tasks", "sanbufu_celery_task_duration_seconds"} <= families
    assert "sanbufu_issues_open" not in families  # the domain gauges are the web's
