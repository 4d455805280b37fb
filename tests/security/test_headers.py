"""Security headers on every face: a page, the admin and the API."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PATHS = ["/accounts/login/", "/admin/login/", "/api/v1/divisions/", "/api/v1/docs/"]


@pytest.mark.parametrize("path", PATHS)
def test_responses_carry_the_policy_and_the_protective_headers(client, path):
    response = client.get(path)
    assert response.status_code in (200, 401)
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert "'self'" in policy["script-src"].split()
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
