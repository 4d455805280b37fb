"""Clients for the REST API: one per persona, authenticated by token as integrations are."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ..factories import CategoryFactory


@pytest.fixture(autouse=True)
def fresh_throttles():
    # Throttle counters live in the cache; each test starts with none spent.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def water(db):
    return CategoryFactory(code="water", name_zh="供水", name_en="Water supply")
