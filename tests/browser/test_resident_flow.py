"""The resident on their phone: the link in the text message opens their issue's page, they
read the answer and rate it 不满意; the issue goes back to the tier that resolved it, and a
second rating of the same resolution is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from issues import services
from issues.models import Issue, IssueEvent

from ..factories import CategoryFactory
from ..residents.conftest import messages_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_resident_opens_the_link_from_the_message_and_rates_unsatisfied(
    page,
    browser,
    live_server,
    settings,
    tmp_path,
    eager,
    shaoxing,
    village_cadre,
    town_office,
    artifacts_dir,
):
    settings.SMS_BACKEND = "filebased"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SITE_URL = live_server.url
    CategoryFactory(code="water")
    issue = services.raise_issue(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        category="water",
        title="自来水水压不足",
        reporter_phone="13812345678",
    )
    [(phone, tracking)] = messages_in(tmp_path / "sms")
    assert phone == "13812345678" and f"编号{issue.pk}" in tracking
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    services.resolve_issue(actor=town_office, issue=issue, resolution="镇水务站已更换加压泵")
    phone, rating_text = messages_in(tmp_path / "sms")[-1]
    link = re.search(r"https?://\S+/r/\S+/", rating_text).group(0)

    # A second tab opened on the same link before the rating (it will be stale).
    stale = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    stale.goto(link)

    page.goto(link)
    expect(page.locator(".answer")).to_contain_text("镇水务站已更换加压泵")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts_dir / "resident-page-phone-zh.png", full_page=True)
    page.get_by_label("不满意").check()
    page.fill("#id_note", "水压还是不够")
    page.click("text=提交评价")
    expect(page.locator(".messages")).to_contain_text("感谢您的评价")
    expect(page.locator("input[name=rating]")).to_have_count(0)

    row = Issue.objects.get(pk=issue.pk)
    assert (row.status, row.tier, row.holder_id) == ("open", "town", shaoxing.lanting.code)
    assert row.events.filter(kind=IssueEvent.Kind.FEEDBACK, reason="resident").count() == 1

    stale.get_by_label("满意", exact=True).check()
    stale.click("text=提交评价")
    expect(stale.locator(".messages")).to_contain_text("已评价")
    assert Issue.objects.get(pk=issue.pk).rating == "unsatisfied"
    assert row.events.filter(kind=IssueEvent.Kind.FEEDBACK).count() == 1
    stale.context.close()
