from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_throttles():
    # The Open311 feed is throttled like the API; its counters live in the cache, and each
    # test starts with none spent.
    cache.clear()
    yield
    cache.clear()
