"""The office's admin in a real browser: the issue list fits a 1366 px screen without
sideways scrolling, and the dashboard on a 390 px phone has nothing overlapping and chart
labels large enough to read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..factories import DEFAULT_PASSWORD
from ..issues.offices import issue_at_county, issue_at_town, issue_at_village, town_department

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def busy_town(transactional_db, village_cadre, town_office, county_office):
    from issues.services import assign_issue

    dept = town_department("兰亭街道农业农村办公室（乡村振兴工作站）")
    for n in range(12):
        issue = issue_at_town(
            village_cadre,
            f"第{n}件：灌溉渠堵塞影响春耕，沿线农户反映多次，需镇里协调清淤和修复渠道",
        )
        if n % 3 == 0:
            assign_issue(actor=town_office, issue=issue, department=dept)
    for n in range(4):
        issue_at_village(village_cadre, f"村里的小事{n}")
    issue_at_county(village_cadre, town_office, "跨村道路塌方，需区里协调")


def log_in(browser, live_server, username: str, viewport: dict, locale: str = "zh-CN"):
    context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#office-dashboard")).to_be_visible()
    return context, page


def sideways_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_issue_list_fits_a_1366_px_screen(browser, live_server, busy_town, artifacts_dir, locale):
    context, page = log_in(browser, live_server, "town_office", LAPTOP, locale)
    page.goto("/admin/issues/issue/")
    expect(page.locator("#result_list tbody tr")).to_have_count(
        12
    )  # held by the town: not the county's
    assert sideways_overflow(page) == 0
    table = page.locator("#result_list").bounding_box()
    assert table["x"] + table["width"] <= LAPTOP["width"]
    # The filters stay beside the list, not under it.
    filters = page.locator("#changelist-filter").bounding_box()
    assert filters["x"] >= table["x"] + table["width"] - 1
    page.screenshot(path=artifacts_dir / f"admin-issue-list-1366-{locale}.png", full_page=True)

    page.locator("#result_list tbody tr a").first.click()
    expect(page.locator("a.issue-action").first).to_be_visible()
    assert sideways_overflow(page) == 0
    page.screenshot(path=artifacts_dir / f"admin-issue-page-1366-{locale}.png", full_page=True)
    context.close()


def overlaps(boxes: list[dict]) -> list[tuple[int, int]]:
    found = []
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[i + 1 :], i + 1):
            if (
                a["x"] + a["width"] > b["x"] + 0.5
                and b["x"] + b["width"] > a["x"] + 0.5
                and a["y"] + a["height"] > b["y"] + 0.5
                and b["y"] + b["height"] > a["y"] + 0.5
            ):
                found.append((i, j))
    return found


@pytest.mark.parametrize(
    ("office", "locale"),
    [("town_office", "zh-CN"), ("county_office", "zh-CN"), ("city_office", "en-US")],
)
def test_dashboard_on_a_phone(
    browser, live_server, busy_town, artifacts_dir, office, locale, request
):
    request.getfixturevalue(office)
    context, page = log_in(browser, live_server, office, PHONE, locale)
    assert sideways_overflow(page) == 0
    cards = [box for box in (c.bounding_box() for c in page.locator(".office .card").all()) if box]
    assert cards and not overlaps(cards)
    for card in cards:
        assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"]
    figures = [f.bounding_box() for f in page.locator(".figure").all()]
    assert not overlaps([f for f in figures if f])
    # Chart labels are drawn at their own size (about 11 px), not shrunk to fit the phone.
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('svg.chart text')]
            .map(t => t.getBoundingClientRect().height).filter(h => h > 0))"""
    )
    assert smallest >= 9, smallest
    page.screenshot(
        path=artifacts_dir / f"admin-dashboard-390-{office}-{locale}.png", full_page=True
    )
    context.close()
