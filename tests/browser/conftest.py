"""Playwright against pytest-django's live server, driving the system's Chromium.

Playwright's sync API runs an event loop in this thread, so Django's guard against sync
database calls from async contexts would refuse the test's own ORM calls; the tests touch
the database only between browser steps, never concurrently with them.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser(chromium_path_session):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path_session,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chromium_path_session() -> str:
    from ..conftest import CHROMIUM, missing

    reason = missing("browser")
    if reason:
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page in a fresh context, speaking Chinese like the cadres' phones."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
