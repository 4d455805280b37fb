"""Departments' work orders on a 390 px phone: an office assigns with a lead and a
co-handler, the lead signs for it from the queue, the co-handler posts progress, the lead asks
for more time, the office grants it, the sweep past the old deadline leaves it in place, the
lead resolves. And a hand-back within the window, then an arbitration that takes it away."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from issues import services, sweep
from issues.models import Issue, IssueEvent

from ..factories import DEFAULT_PASSWORD, IssueFactory
from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def phone(browser, live_server, username: str):
    """A phone-sized context logged in as `username`."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator("#id_username")).to_have_count(0)
    return context, page


def act(page, issue: Issue, action: str, fill: dict | None = None, select=None, check=()):
    """Open the issue page's `action` panel, fill it and submit it."""
    page.goto(f"/issues/{issue.pk}/")
    panel = page.locator(f"#action-{action}")
    panel.locator("summary").click()
    for field, value in (fill or {}).items():
        panel.locator(f"#id_{action}-{field}").fill(str(value))
    for field, value in (select or {}).items():
        panel.locator(f"#id_{action}-{field}").select_option(str(value))
    for value in check:
        panel.locator(f"input[type=checkbox][value='{value}']").check()
    panel.locator("button[type=submit]").click()
    expect(page.locator(".messages, [role=status], .message").first).to_be_visible()


def no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width} px)"


@pytest.fixture
def town_issue(transactional_db, village_cadre, town_office, departments):
    issue = IssueFactory(actor=village_cadre, title="公交站台破损漏雨")
    return services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_department")


def test_assign_sign_progress_extend_approve_sweep_resolve(
    browser, live_server, town_issue, departments, social_member, urban_member, artifacts_dir
):
    issue = town_issue
    office, page = phone(browser, live_server, "town_office")
    act(
        page,
        issue,
        "assign",
        select={"department": departments.social.pk},
        check=[departments.urban.pk],
        fill={"note": "请社会事务办牵头，城建办协办"},
    )
    issue.refresh_from_db()
    assert issue.department_id == departments.social.pk
    assert issue.co_department_ids() == [departments.urban.pk]

    # The lead's member signs for it from the queue.
    lead, lead_page = phone(browser, live_server, "social_member")
    lead_page.goto("/queue/")
    row = lead_page.locator(f"#incoming #issue-{issue.pk}")
    expect(row).to_contain_text("公交站台破损漏雨")
    no_overflow(lead_page)
    lead_page.screenshot(path=artifacts_dir / "queue-incoming-390.png", full_page=True)
    row.locator("button[type=submit]").click()
    expect(lead_page.locator(f"#working #issue-{issue.pk}")).to_be_visible()
    expect(lead_page.locator(f"#incoming #issue-{issue.pk}")).to_have_count(0)

    # The co-handler posts its part.
    co, co_page = phone(browser, live_server, "urban_member")
    act(co_page, issue, "progress", fill={"note": "城建办已现场勘查，需更换顶棚"})
    expect(co_page.locator(".timeline")).to_contain_text("城建办已现场勘查")
    co.close()

    # The lead asks for five more working days; the office grants them.
    act(lead_page, issue, "extension", fill={"days": 5, "reason": "顶棚材料需定制"})
    issue.refresh_from_db()
    old_due = issue.due_at
    assert issue.pending_extension is not None
    act(page, issue, "decide_extension", select={"approve": "1"}, fill={"note": "同意"})
    issue.refresh_from_db()
    assert issue.extension_count == 1 and issue.due_at > old_due
    page.screenshot(path=artifacts_dir / "issue-extended-390.png", full_page=True)
    office.close()

    # The sweep past the old deadline leaves it where it is.
    sweep.escalate_overdue(as_of=old_due + timedelta(hours=1))
    issue.refresh_from_db()
    assert (issue.tier, issue.status) == ("town", Issue.Status.ASSIGNED)

    # The lead resolves it.
    act(lead_page, issue, "resolve", fill={"resolution": "已更换站台顶棚"})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    no_overflow(lead_page)
    lead_page.screenshot(
        path=artifacts_dir / "issue-resolved-by-department-390.png", full_page=True
    )
    lead.close()
    kinds = list(issue.events.values_list("kind", flat=True))
    assert kinds == [
        "raised",
        "escalated",
        "assigned",
        "acknowledged",
        "progress",
        "extension_requested",
        "extension_decided",
        "resolved",
    ]


def test_hand_back_then_arbitration_takes_the_hand_back_away(
    browser, live_server, town_issue, departments, social_member, artifacts_dir
):
    issue = town_issue
    office, page = phone(browser, live_server, "town_office")
    act(page, issue, "assign", select={"department": departments.social.pk})

    lead, lead_page = phone(browser, live_server, "social_member")
    lead_page.goto(f"/issues/{issue.pk}/")
    expect(lead_page.locator("#action-hand_back")).to_be_visible()
    act(lead_page, issue, "hand_back", fill={"reason": "不属本部门职责"})
    # It is the office's again: gone from the member's sight.
    lead_page.goto("/queue/")
    expect(lead_page.locator(f"#issue-{issue.pk}")).to_have_count(0)

    act(page, issue, "assign", select={"department": departments.social.pk})
    expect(page.locator(".timeline")).to_contain_text(re.compile("仲裁"))
    office.close()

    lead_page.goto(f"/issues/{issue.pk}/")
    expect(lead_page.locator("#action-acknowledge")).to_be_visible()
    expect(lead_page.locator("#action-hand_back")).to_have_count(0)
    lead_page.screenshot(path=artifacts_dir / "issue-arbitrated-390.png", full_page=True)
    lead.close()
    assert issue.events.filter(kind=IssueEvent.Kind.HANDED_BACK).count() == 1
