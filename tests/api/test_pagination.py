"""Lists of a million issues: the count stops at a bound (an estimate past it on
PostgreSQL), and paging still reaches every row and stops after the last."""

from __future__ import annotations

import pytest

from ..factories import IssueFactory


@pytest.fixture
def twelve(superuser, shaoxing, water):
    return [
        IssueFactory(actor=superuser, division=shaoxing.lanting_village, title=f"问题{i:02}")
        for i in range(12)
    ]


def pages(client, size: int) -> list[list[str]]:
    out, url = [], f"/api/v1/issues/?page_size={size}"
    while url:
        answer = client.get(url)
        assert answer.status_code == 200
        out.append([row["title"] for row in answer.json()["results"]])
        url = answer.json()["next"]
    return out


def test_count_below_the_bound_is_exact(client_for, superuser, twelve, settings):
    settings.SANBUFU_COUNT_BOUND = 100
    client = client_for(superuser)
    assert client.get("/api/v1/issues/").json()["count"] == 12
    assert client.get("/api/v1/issues/?page=2&page_size=10").json()["previous"] is not None
    assert client.get("/api/v1/issues/?page=3&page_size=10").status_code == 404


def test_paging_past_the_bound_reaches_every_issue_once(client_for, superuser, twelve, settings):
    settings.SANBUFU_COUNT_BOUND = 5
    client = client_for(superuser)
    assert client.get("/api/v1/issues/").json()["count"] > 5
    seen = pages(client, 5)
    assert [len(page) for page in seen] == [5, 5, 2]
    # Newest first, each issue once.
    assert [t for page in seen for t in page] == [f"问题{i:02}" for i in reversed(range(12))]
    assert client.get("/api/v1/issues/?page=4&page_size=5").status_code == 404
    assert client.get("/api/v1/issues/?page=0&page_size=5").status_code == 404
    assert client.get("/api/v1/issues/?page=x&page_size=5").status_code == 404


@pytest.mark.postgres
def test_past_the_bound_postgres_answers_its_estimate_in_one_query(
    client_for, superuser, twelve, settings, django_assert_num_queries
):
    settings.SANBUFU_COUNT_BOUND = 5
    client = client_for(superuser)
    # token lookup, the bounded count with its estimate, the page's ids, their rows, their
    # co-handling departments (the work order), their files
    with django_assert_num_queries(6):
        body = client.get("/api/v1/issues/?page_size=5").json()
    assert body["count"] >= 6 and len(body["results"]) == 5
