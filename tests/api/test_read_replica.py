"""Reads of web requests on the read replica; writes, and reads after a write, on the primary.

The replica is a second real database; `replicate` copies the rows a streaming replica would
have received, so the test sees which database each request read."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token

from dispatch.models import Cadre, Division, Membership, Posting
from issues.models import Category, Issue
from sanbufu.routers import PIN_COOKIE

from ..factories import IssueFactory

# Transactional: inside a test-wide transaction every read would rightly stay on the primary.
pytestmark = pytest.mark.django_db(databases=["default", "replica"], transaction=True)


def replicate() -> None:
    models = [Division, get_user_model(), Token, Cadre, Posting, Membership, Category, Issue]
    with transaction.atomic(using="replica"):
        for model in reversed(models):
            model.objects.using("replica").all().delete()
        for model in models:
            model.objects.using("replica").bulk_create(list(model.objects.using("default")))


def titles(answer) -> set[str]:
    assert answer.status_code == 200, answer.content
    return {row["title"] for row in answer.json()["results"]}


@pytest.fixture
def replica_on(settings):
    settings.SANBUFU_READ_REPLICA = True


def test_lists_read_the_replica_and_a_client_that_wrote_reads_the_primary(
    replica_on, client_for, village_cadre, shaoxing, water
):
    client = client_for(village_cadre)
    IssueFactory(actor=village_cadre, division=shaoxing.lanting_village, title="已复制")
    replicate()
    IssueFactory(actor=village_cadre, division=shaoxing.lanting_village, title="尚未复制")

    # A reading request reads the replica: what has not reached it yet is not listed, nor
    # counted in the statistics.
    assert titles(client.get("/api/v1/issues/")) == {"已复制"}
    assert client.get("/api/v1/stats/").json()["found"] == 1

    # A write goes to the primary, and the client reads the primary for a while after it.
    answer = client.post(
        "/api/v1/issues/",
        {"title": "刚刚上报", "category": "water", "division": "330603008250"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert PIN_COOKIE in answer.cookies
    assert titles(client.get("/api/v1/issues/")) == {"已复制", "尚未复制", "刚刚上报"}
    assert not Issue.objects.using("replica").filter(title="刚刚上报").exists()

    # Another client, which wrote nothing, still reads the replica.
    assert titles(client_for(village_cadre).get("/api/v1/issues/")) == {"已复制"}


def test_without_the_replica_turned_on_everything_reads_the_primary(
    client_for, superuser, shaoxing, water
):
    IssueFactory(actor=superuser, division=shaoxing.lanting_village, title="只在主库")
    assert titles(client_for(superuser).get("/api/v1/issues/")) == {"只在主库"}


def test_code_outside_a_request_reads_the_primary(replica_on, superuser, shaoxing, water):
    # Celery tasks and commands read what their own transactions committed.
    IssueFactory(actor=superuser, division=shaoxing.lanting_village, title="任务读主库")
    assert Issue.objects.filter(title="任务读主库").exists()
