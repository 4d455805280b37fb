"""Log lines: a request's id follows it into the tasks it queues (straight to the broker, or
through the outbox while the broker is away); the sweep and the convening write one summary
line per run; production writes JSON lines."""

from __future__ import annotations

import json
import logging

import pytest
from rest_framework.test import APIClient

from durable.models import OutboxMessage
from durable.tasks import drain_outbox_task
from issues.tasks import escalate_overdue_task
from meetings.tasks import convene_meetings_task
from ops.logs import JsonFormatter, RequestIdFilter

from .. import workers
from ..factories import IssueFactory


def task_lines(worker, request_id: str) -> list[dict]:
    return [
        line
        for line in worker.lines()
        if line.get("request_id") == request_id and line.get("logger") == "sanbufu.tasks"
    ]


@pytest.mark.redis
@pytest.mark.slow
def test_a_requests_id_appears_in_the_log_lines_of_the_tasks_it_queued(json_worker, village_cadre):
    issue = IssueFactory(actor=village_cadre)
    api = APIClient()
    api.force_authenticate(village_cadre)

    # The broker answers: the tasks go out after the commit, the id in their headers.
    sent = "req-comment-0123456789"
    answer = api.post(
        f"/api/v1/issues/{issue.pk}/comment/",
        {"note": "已电话联系反映人"},
        format="json",
        HTTP_X_REQUEST_ID=sent,
    )
    assert answer.status_code == 200
    assert answer["X-Request-ID"] == sent

    def both_tasks_logged():
        assert json_worker.proc.poll() is None, "the worker exited"
        names = {line["task"] for line in task_lines(json_worker, sent)}
        return {"issues.tasks.send_notifications", "issues.tasks.announce_events"} <= names

    assert workers.wait_for(both_tasks_logged, timeout=30)
    line = task_lines(json_worker, sent)[0]
    assert line["level"] == "INFO" and line["state"] == "success" and line["seconds"] >= 0

    # The broker is away: the id waits in the outbox row and leaves with the drain.
    with workers.broker(f"redis://127.0.0.1:{workers.closed_port()}/0"):
        answer = api.post(
            f"/api/v1/issues/{issue.pk}/comment/", {"note": "再次联系"}, format="json"
        )
    assert answer.status_code == 200
    generated = answer["X-Request-ID"]
    assert generated and generated != sent
    assert set(OutboxMessage.objects.values_list("request_id", flat=True)) == {generated}
    # The drain runs here (beat's worker would do the same), publishing to the worker's queue:
    # the event's four tasks (webhooks, mail, inbox, text messages).
    assert drain_outbox_task.apply().get() == 4

    def drained_tasks_logged():
        assert json_worker.proc.poll() is None, "the worker exited"
        return len(task_lines(json_worker, generated)) == 4

    assert workers.wait_for(drained_tasks_logged, timeout=30)


def test_a_request_id_sent_by_the_proxy_is_kept_only_when_plausible(client, db):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123-def-456")["X-Request-ID"] == (
        "abc-123-def-456"
    )
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nforged line")["X-Request-ID"]
    assert len(replaced) == 32 and "\n" not in replaced


def test_each_request_writes_one_access_line_with_its_id(client, village_cadre, caplog):
    client.force_login(village_cadre)
    caplog.set_level(logging.INFO)
    response = client.get("/", HTTP_X_REQUEST_ID="req-access-0001")
    (line,) = [r for r in caplog.records if r.name == "sanbufu.requests"]
    assert line.request_id == response["X-Request-ID"] == "req-access-0001"
    assert (line.method, line.path, line.route, line.status) == ("GET", "/", "", 200)
    assert line.queries > 0


def test_the_sweep_logs_one_summary_line_per_run(db, caplog):
    caplog.set_level(logging.INFO)
    escalate_overdue_task.apply()
    lines = [r for r in caplog.records if r.name == "issues.tasks"]
    assert [r.getMessage().split(" in ")[0] for r in lines] == ["sweep moved 0 issues"]
    assert lines[0].moved == {"village": 0, "town": 0, "county": 0, "city": 0}


def test_the_convening_logs_one_summary_line_per_run(db, caplog, town_office):
    caplog.set_level(logging.INFO)
    convene_meetings_task.apply(kwargs={"week": "2026-W48"})
    convene_meetings_task.apply(kwargs={"week": "2026-W48"})
    lines = [r.getMessage() for r in caplog.records if r.name == "meetings.tasks"]
    assert lines == [
        "convened 1 meetings for 2026-W48 (0 already there)",
        "convened 0 meetings for 2026-W48 (1 already there)",
    ]


def test_json_lines_carry_the_request_id_and_the_extra_fields():
    from common import requestid

    # The record as the console handler gets it: filtered, then formatted.
    record = logging.getLogger("sanbufu.test-json").makeRecord(
        "sanbufu.test-json",
        logging.WARNING,
        __file__,
        1,
        "接收 %s",
        ("签收",),
        None,
        extra={"issue": 7},
    )
    token = requestid.current.set("req-json-0001")
    try:
        assert RequestIdFilter().filter(record)
    finally:
        requestid.current.reset(token)
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "接收 签收"
    assert line["level"] == "WARNING" and line["logger"] == "sanbufu.test-json"
    assert line["request_id"] == "req-json-0001" and line["issue"] == 7
    assert "time" in line
