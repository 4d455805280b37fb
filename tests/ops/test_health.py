"""/healthz and /readyz: what a load balancer and the compose health checks ask."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from ops.metrics import SWEEP_TASK
from ops.models import TaskRun

from .. import workers


def recent_sweep(ago: timedelta = timedelta(minutes=1)) -> TaskRun:
    finished = timezone.now() - ago
    return TaskRun.objects.create(
        task=SWEEP_TASK,
        started_at=finished - timedelta(seconds=2),
        finished_at=finished,
        duration=2.0,
        state=TaskRun.State.SUCCESS,
        result={"village": 0, "town": 0, "county": 0, "city": 0},
    )


def test_healthz_answers_without_the_database(client):
    # No database fixture: a query here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response["Cache-Control"] == "no-store"


def test_probes_answer_any_host_over_plain_http(client, db, settings):
    """Health checks call a container by its address: no host check, no HTTPS redirect."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["sanbufu.example.org"]
    assert client.get("/healthz", HTTP_HOST="172.18.0.5:8000").status_code == 200
    assert client.get("/", HTTP_HOST="172.18.0.5:8000").status_code == 400


def test_readyz_is_503_with_the_broker_down(client, db):
    recent_sweep()
    with workers.broker(f"redis://127.0.0.1:{workers.closed_port()}/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["worker"] == {
        "ok": False,
        "seconds": 0.0,
        "detail": "not checked: broker failed",
    }
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["beat"]["ok"] is True


def test_readyz_is_503_with_a_pending_migration(client, db):
    recent_sweep()
    MigrationRecorder.Migration.objects.filter(app="ops", name="0001_task_run").delete()
    body = client.get("/readyz").json()
    assert body["status"] == "failing"
    assert body["checks"]["migrations"]["ok"] is False
    assert "ops.0001_task_run" in body["checks"]["migrations"]["detail"]
    assert client.get("/readyz").status_code == 503


@pytest.mark.parametrize("ago", [None, timedelta(minutes=11)])
def test_readyz_is_503_when_beat_is_silent(client, db, ago):
    """Beat runs the sweep every five minutes; none for two periods means beat (or every
    worker) is gone."""
    if ago is not None:
        recent_sweep(ago)
    response = client.get("/readyz")
    assert response.status_code == 503
    beat = response.json()["checks"]["beat"]
    assert beat["ok"] is False
    assert ("never run" if ago is None else "660 s ago") in beat["detail"]


@pytest.mark.redis
@pytest.mark.slow
def test_readyz_is_200_when_all_is_well(client, json_worker):
    """A real worker on Redis runs the sweep (as beat would send it), which records its run;
    then every check passes, the worker answering the ping."""
    from issues.tasks import escalate_overdue_task

    escalate_overdue_task.apply_async(queue=json_worker.queue)
    assert workers.wait_for(lambda: TaskRun.objects.filter(task=SWEEP_TASK).exists(), 30)

    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "broker", "beat", "worker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert all(check["seconds"] >= 0 for check in body["checks"].values())
    assert "celery@" in body["checks"]["worker"]["detail"]
    run = TaskRun.objects.get(task=SWEEP_TASK)
    assert run.state == "success" and run.result == {
        "village": 0,
        "town": 0,
        "county": 0,
        "city": 0,
    }


def test_the_health_command_fails_while_beat_is_silent(db, capsys):
    from django.core.management import CommandError, call_command

    recent_sweep(timedelta(minutes=30))
    with pytest.raises(CommandError, match="failing: beat"):
        call_command("health", "database", "beat")
    TaskRun.objects.update(finished_at=timezone.now())
    call_command("health", "database", "beat")
    assert '"status": "ok"' in capsys.readouterr().out
