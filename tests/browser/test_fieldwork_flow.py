"""Field work on a phone: the cadre sees the households not visited yet, writes an entry
ticking a duty and naming two households, and the office's campaign page counts it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diaries.models import DiaryEntry
from fieldwork import services

from .test_cadre_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LABELS = ["兰亭村1号 王家", "兰亭村2号 李家", "兰亭村3号 陈家"]


@pytest.fixture
def campaign(transactional_db, shaoxing, village_cadre, county_office):
    for label in LABELS:
        services.add_household(actor=village_cadre, village=shaoxing.lanting_village, label=label)
    today = timezone.localdate()
    return services.open_campaign(
        actor=county_office,
        name="冬季大走访",
        kind="visits",
        within=shaoxing.keqiao,
        started_on=today - datetime.timedelta(days=7),
        ended_on=today + datetime.timedelta(days=7),
        target_per_posting=4,
    )


def test_a_visit_ticking_a_duty_and_naming_households_counts_for_the_campaign(
    page, desktop_page, campaign, artifacts_dir
):
    log_in(page, "village_cadre")
    unvisited = page.locator("#unvisited")
    for label in LABELS:
        expect(unvisited).to_contain_text(label)
    page.screenshot(path=artifacts_dir / "home-unvisited-phone-zh.png", full_page=True)

    page.goto("/diaries/new/")
    page.fill("#id_households_visited", "2")
    page.fill("#id_summary", "入户走访王家和李家，宣讲冬季防火。")
    page.get_by_label("走访农户").check()
    page.get_by_label(LABELS[0]).check()
    page.get_by_label(LABELS[1]).check()
    page.screenshot(path=artifacts_dir / "diary-duties-households-phone-zh.png", full_page=True)
    page.click("form#diary-form button[type=submit]")
    expect(page.locator(".message.success")).to_be_visible()
    entry = DiaryEntry.objects.get()
    assert [d.duty for d in entry.duties.all()] == ["走访农户"]
    assert sorted(h.label for h in entry.households.all()) == LABELS[:2]

    page.goto("/")
    expect(unvisited).to_contain_text(LABELS[2])
    expect(unvisited).not_to_contain_text(LABELS[0])

    log_in(desktop_page, "county_office")
    desktop_page.goto(f"/fieldwork/campaigns/{campaign.pk}/")
    expect(desktop_page.locator("[data-visits]")).to_have_text("1")
    expect(desktop_page.locator("main")).to_contain_text("兰亭街道")
    desktop_page.screenshot(path=artifacts_dir / "campaign-progress-zh.png", full_page=True)
