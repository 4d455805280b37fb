"""The town office at its weekly meeting, then two county leaders at the claim board."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from issues.models import Issue, IssueEvent
from meetings.models import Meeting

from ..factories import DEFAULT_PASSWORD
from ..issues.offices import issue_at_town, town_department

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.fixture
def office_flow_data(
    transactional_db, village_cadre, town_office, county_leader, second_county_leader
):
    dept = town_department("兰亭街道农业农村办")
    to_assign = issue_at_town(village_cadre, "灌溉渠堵塞，影响春耕")
    to_escalate = issue_at_town(village_cadre, "跨村道路塌方，需区里协调")
    return dept, to_assign, to_escalate


def test_office_meeting_then_a_leader_claims_and_another_sees_it_claimed(
    browser, live_server, office_flow_data, artifacts_dir
):
    dept, to_assign, to_escalate = office_flow_data
    desktop = {"width": 1280, "height": 900}

    # The town office: the dashboard, then this week's meeting.
    office = browser.new_context(viewport=desktop, locale="zh-CN", base_url=live_server.url)
    office.set_default_timeout(10_000)
    page = office.new_page()
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "town_office")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#office-dashboard")).to_be_visible()
    expect(page.locator("#new-this-week")).to_have_text("2")
    expect(page.locator("svg.chart")).to_have_count(3)
    page.screenshot(path=artifacts_dir / "office-dashboard.png", full_page=True)

    page.click("#office-dashboard form button[type=submit]")  # convene this week's meeting
    expect(page).to_have_url(re.compile(r"/meetings/\d+/$"))
    meeting = Meeting.objects.get(town_id="330603008000")
    assert meeting.items.count() == 2
    page.screenshot(path=artifacts_dir / "office-meeting.png", full_page=True)

    item = meeting.items.get(issue=to_assign)
    form = page.locator(f"#item-{item.pk} form.decide")
    form.locator(f"#id_item{item.pk}-decision").select_option("assign")
    form.locator(f"#id_item{item.pk}-department").select_option(str(dept.pk))
    form.locator(f"#id_item{item.pk}-note").fill("一周内疏通")
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#item-{item.pk} .decision")).to_contain_text(dept.name)

    item = meeting.items.get(issue=to_escalate)
    form = page.locator(f"#item-{item.pk} form.decide")
    form.locator(f"#id_item{item.pk}-decision").select_option("escalate")
    form.locator(f"#id_item{item.pk}-escalation_reason").select_option("multi_level")
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#item-{item.pk} .decision")).to_be_visible()
    expect(page.locator("form.decide")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "office-meeting-decided.png", full_page=True)

    to_assign.refresh_from_db()
    to_escalate.refresh_from_db()
    assert (to_assign.status, to_assign.department_id) == (Issue.Status.ASSIGNED, dept.pk)
    assert (to_escalate.tier, to_escalate.holder_id) == ("county", "330603000000")

    page.goto(f"/meetings/{meeting.pk}/print/")
    page.screenshot(path=artifacts_dir / "office-meeting-print.png", full_page=True)
    office.close()

    # A county leader claims the escalated issue on the board.
    leader = browser.new_context(viewport=desktop, locale="zh-CN", base_url=live_server.url)
    leader.set_default_timeout(10_000)
    page = leader.new_page()
    log_in(page, "county_leader")
    page.goto("/board/")
    row = page.locator(f"#issue-{to_escalate.pk}")
    expect(row).to_contain_text(to_escalate.title)
    row.locator("button[type=submit]").click()
    expect(page.locator(f"#mine-{to_escalate.pk}")).to_be_visible()
    page.screenshot(path=artifacts_dir / "board-claimed.png", full_page=True)

    # A second leader, in a second context, sees it as claimed by the first.
    second = browser.new_context(viewport=desktop, locale="zh-CN", base_url=live_server.url)
    second.set_default_timeout(10_000)
    other = second.new_page()
    log_in(other, "second_county_leader")
    other.goto("/board/")
    expect(other.locator(f"#issue-{to_escalate.pk}")).to_have_count(0)
    expect(other.locator(f"#taken-{to_escalate.pk}")).to_contain_text("county_leader")
    other.screenshot(path=artifacts_dir / "board-second-leader.png", full_page=True)
    second.close()
    leader.close()

    to_escalate.refresh_from_db()
    assert to_escalate.claimed_by.username == "county_leader"
    assert to_escalate.events.filter(kind=IssueEvent.Kind.CLAIMED).count() == 1
