"""Raising an issue and its transitions, retried with one Idempotency-Key, happen once."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from issues import services
from issues.models import Issue, IssueEvent

from ..factories import CategoryFactory


@pytest.fixture
def api(village_cadre):
    client = APIClient()
    client.force_authenticate(village_cadre)
    return client


def test_raising_twice_with_one_key_raises_once(api, shaoxing, village_cadre):
    CategoryFactory(code="water")
    body = {"division": shaoxing.lanting_village.code, "category": "water", "title": "水管"}
    first = api.post("/api/v1/issues/", body, format="json", HTTP_IDEMPOTENCY_KEY="raise-1")
    second = api.post("/api/v1/issues/", body, format="json", HTTP_IDEMPOTENCY_KEY="raise-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Issue.objects.count() == 1


def test_a_retried_transition_answers_as_the_first_time(api, shaoxing, village_cadre):
    CategoryFactory(code="water")
    issue = services.raise_issue(
        actor=village_cadre, division=shaoxing.lanting_village, category="water", title="水管"
    )
    url = f"/api/v1/issues/{issue.pk}/escalate/"
    body = {"reason": "beyond_authority", "note": "需镇里协调"}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="esc-1")
    # Without the key the second attempt would be a 409 (or, after a return, a second move).
    second = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="esc-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["tier"] == "town"
    assert IssueEvent.objects.filter(issue=issue, kind="escalated").count() == 1
    # The same key on another issue's path is another request: refused.
    other = api.post(
        f"/api/v1/issues/{issue.pk}/comment/",
        {"note": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="esc-1",
    )
    assert other.status_code == 422
