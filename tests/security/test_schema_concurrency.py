"""The OpenAPI schema under concurrent requests: every one answers 200 with the same body."""

from __future__ import annotations

import threading
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_concurrent_schema_requests_all_answer_the_same_schema(live_server):
    token = Token.objects.create(user=UserFactory(username="integration")).key
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, bytes] | BaseException] = [None] * THREADS  # type: ignore[list-item]

    def fetch(i: int) -> None:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/schema/?format=json",
            headers={"Authorization": f"Token {token}"},
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                results[i] = (response.status, response.read())
        except BaseException as exc:  # noqa: BLE001 - a 500 is an HTTPError: record it
            results[i] = exc

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert {status for status, _ in results} == {200}
    assert len({body for _, body in results}) == 1
