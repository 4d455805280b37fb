"""A diary sent twice is saved once: the API honours Idempotency-Key, the form a one-time
token issued with the page."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from diaries.models import DiaryEntry
from dispatch.models import Posting
from durable.models import IdempotencyKey
from issues.models import Issue

from ..factories import CategoryFactory
from .test_views import TWO_ISSUES, entry_data


@pytest.fixture
def categories(db):
    return [CategoryFactory(code="water"), CategoryFactory(code="roads")]


@pytest.fixture
def api(village_cadre):
    client = APIClient()
    client.force_authenticate(village_cadre)
    return client


def diary(posting, summary: str = "走访六户") -> dict:
    return {
        "posting": posting.pk,
        "kind": "people",
        "visited_on": "2026-11-20",
        "households_visited": 6,
        "summary": summary,
        "issues": [{"title": "村口水管漏水", "category": "water"}],
    }


def test_the_same_key_twice_saves_one_entry_and_answers_the_same(api, village_cadre, categories):
    posting = Posting.objects.get(cadre__user=village_cadre)
    headers = {"HTTP_IDEMPOTENCY_KEY": "diary-7f3a"}
    first = api.post("/api/v1/diaries/", diary(posting), format="json", **headers)
    second = api.post("/api/v1/diaries/", diary(posting), format="json", **headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert DiaryEntry.objects.count() == 1 and Issue.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(api, village_cadre, categories):
    posting = Posting.objects.get(cadre__user=village_cadre)
    headers = {"HTTP_IDEMPOTENCY_KEY": "diary-7f3a"}
    assert api.post("/api/v1/diaries/", diary(posting), format="json", **headers).status_code == 201
    other = api.post("/api/v1/diaries/", diary(posting, "另一次走访"), format="json", **headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert DiaryEntry.objects.count() == 1


def test_keys_belong_to_their_user_and_expire(api, village_cadre, categories, settings):
    posting = Posting.objects.get(cadre__user=village_cadre)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k1"}
    api.post("/api/v1/diaries/", diary(posting), format="json", **headers)
    settings.SANBUFU_IDEMPOTENCY_TTL = 0  # the first answer has expired: the key is free
    again = api.post("/api/v1/diaries/", diary(posting), format="json", **headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert DiaryEntry.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_a_failed_request_stores_nothing_and_may_be_retried(api, village_cadre, categories):
    posting = Posting.objects.get(cadre__user=village_cadre)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k2"}
    bad = {**diary(posting), "summary": ""}
    assert api.post("/api/v1/diaries/", bad, format="json", **headers).status_code == 400
    assert IdempotencyKey.objects.count() == 0
    assert api.post("/api/v1/diaries/", diary(posting), format="json", **headers).status_code == 201


def test_an_overlong_key_is_a_400(api, village_cadre, categories):
    posting = Posting.objects.get(cadre__user=village_cadre)
    answer = api.post(
        "/api/v1/diaries/", diary(posting), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert answer.status_code == 400 and "idempotency_key" in answer.json()
    assert DiaryEntry.objects.count() == 0


def issued_token(client) -> str:
    page = client.get(reverse("diaries:new")).content.decode()
    return re.search(r'name="submission_token" value="([^"]+)"', page).group(1)


def test_the_form_sent_twice_with_its_token_saves_one_entry(client, village_cadre, categories):
    client.force_login(village_cadre)
    posting = Posting.objects.get(cadre__user=village_cadre)
    data = entry_data(posting, TWO_ISSUES, submission_token=issued_token(client))
    first = client.post(reverse("diaries:new"), data)
    second = client.post(reverse("diaries:new"), data)
    entry = DiaryEntry.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("diaries:detail", args=[entry.pk]) + "?saved=1"
    assert Issue.objects.count() == 2
    # A new page issues a new token: the next diary is a new entry (its issues, like the open
    # ones just raised, confirmed as different problems).
    data = entry_data(posting, TWO_ISSUES, submission_token=issued_token(client))
    data.update({f"issues-{i}-new_anyway": "on" for i in range(len(TWO_ISSUES))})
    assert client.post(reverse("diaries:new"), data).status_code == 302
    assert DiaryEntry.objects.count() == 2


def test_a_token_is_one_users_own(client, village_cadre, community_cadre, categories):
    client.force_login(village_cadre)
    token = issued_token(client)
    posting = Posting.objects.get(cadre__user=village_cadre)
    client.post(reverse("diaries:new"), entry_data(posting, TWO_ISSUES, submission_token=token))
    client.force_login(community_cadre)
    other = Posting.objects.get(cadre__user=community_cadre)
    answer = client.post(reverse("diaries:new"), entry_data(other, [], submission_token=token))
    assert answer.status_code == 302
    assert DiaryEntry.objects.filter(author=community_cadre).count() == 1


def test_two_concurrent_requests_with_one_key_save_one_entry(
    transactional_db, village_cadre, categories
):
    """Both requests run the write; the key's unique row lets one commit, the other rolls
    back and answers with the first one's result."""
    posting = Posting.objects.get(cadre__user=village_cadre)
    barrier = threading.Barrier(2)
    answers = []

    def send():
        client = APIClient()
        client.force_authenticate(village_cadre)
        barrier.wait()
        try:
            answer = client.post(
                "/api/v1/diaries/", diary(posting), format="json", HTTP_IDEMPOTENCY_KEY="same"
            )
            answers.append((answer.status_code, answer.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [code for code, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert DiaryEntry.objects.count() == 1 and Issue.objects.count() == 1
