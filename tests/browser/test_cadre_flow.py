"""A cadre on a phone: logging in, logging a diary with issues, escalating, drafts, language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from diaries.models import DiaryEntry
from dispatch.models import Tier
from issues.models import Issue, IssueEvent

from ..factories import DEFAULT_PASSWORD, CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def categories(transactional_db):
    return [
        CategoryFactory(code="water", name_zh="供水", name_en="Water supply"),
        CategoryFactory(code="roads", name_zh="道路交通", name_en="Roads"),
    ]


def log_in(page, username: str, screenshot=None) -> None:
    page.goto("/accounts/login/")
    if screenshot:
        page.screenshot(path=screenshot)
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def fill_entry(page, summary: str = "走访六户，听取村民对供水和道路的意见。") -> None:
    page.fill("#id_households_visited", "6")
    if summary:
        page.fill("#id_summary", summary)


def add_issue(page, index: int, title: str, category: str) -> None:
    page.click("[data-formset-add=issues]")
    page.fill(f"#id_issues-{index}-title", title)
    page.select_option(f"#id_issues-{index}-category", category)


def test_cadre_logs_a_diary_with_two_issues_and_escalates_one(
    page, village_cadre, categories, artifacts_dir
):
    log_in(page, "village_cadre", screenshot=artifacts_dir / "login-phone-zh.png")
    page.screenshot(path=artifacts_dir / "home-phone-zh.png", full_page=True)
    page.click("nav >> text=写民情日记")
    expect(page.locator("h1")).to_have_text("写民情日记")
    fill_entry(page)
    add_issue(page, 0, "自来水水压不足", "water")
    page.fill("#id_issues-0-reporter_name", "王大伯")
    page.fill("#id_issues-0-reporter_phone", "13812345678")
    add_issue(page, 1, "村口路灯不亮", "roads")
    page.check("#id_issues-1-resolved_on_spot")
    # The resolution is asked for once the box is ticked.
    expect(page.locator("#id_issues-1-resolution")).to_be_visible()
    expect(page.locator("#id_issues-0-resolution")).to_be_hidden()
    page.fill("#id_issues-1-resolution", "联系电工当场更换灯泡。")
    page.screenshot(path=artifacts_dir / "diary-form-phone-zh.png", full_page=True)
    page.click("form#diary-form button[type=submit]")

    expect(page.locator(".message.success")).to_contain_text("2")
    page.screenshot(path=artifacts_dir / "diary-entry-phone-zh.png", full_page=True)
    entry = DiaryEntry.objects.get()
    assert entry.issues.count() == 2
    assert Issue.objects.get(title="村口路灯不亮").resolved_on_spot

    page.click("text=自来水水压不足")
    expect(page.locator("#action-escalate")).to_be_visible()
    page.click("#action-escalate summary")
    page.select_option("#id_escalate-reason", "beyond_authority")
    page.fill("#id_escalate-note", "主管道老化，需街道协调水务公司。")
    page.click("#action-escalate button[type=submit]")

    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator(".standing")).to_contain_text("镇（街道）级")
    expect(page.locator(".timeline .event.escalated")).to_contain_text("本层级无法解决")
    # Now at town tier, the cadre can only comment.
    expect(page.locator("#action-escalate")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "issue-escalated-phone-zh.png", full_page=True)
    issue = Issue.objects.get(title="自来水水压不足")
    assert issue.tier == Tier.TOWN
    assert issue.events.last().kind == IssueEvent.Kind.ESCALATED


def test_issue_rows_are_numbered_and_one_is_removed_with_its_button(
    page, village_cadre, categories, artifacts_dir
):
    log_in(page, "village_cadre")
    page.goto("/diaries/new/")
    fill_entry(page)
    for index, title in enumerate(["自来水水压不足", "写错的一行", "村口路灯不亮"]):
        add_issue(page, index, title, "water")
    rows = page.locator("#issues-rows fieldset.issue-row")
    for i in range(3):
        expect(rows.nth(i).locator("legend")).to_have_text(f"问题 {i + 1}")
    # No tick box: a button removes the row, and the rows after it are numbered again.
    expect(rows.nth(1).locator("input[name$='-DELETE']")).to_be_hidden()
    rows.nth(1).locator("[data-formset-remove]").click()
    expect(rows.nth(1)).to_be_hidden()
    expect(rows.nth(2).locator("legend")).to_have_text("问题 2")
    page.screenshot(path=artifacts_dir / "diary-rows-phone-zh.png", full_page=True)
    page.click("form#diary-form button[type=submit]")

    expect(page.locator(".message.success")).to_contain_text("2")
    assert sorted(DiaryEntry.objects.get().issues.values_list("title", flat=True)) == [
        "村口路灯不亮",
        "自来水水压不足",
    ]


def test_missing_field_shows_the_error_and_writes_nothing(
    page, village_cadre, categories, artifacts_dir
):
    log_in(page, "village_cadre")
    page.goto("/diaries/new/")
    fill_entry(page, summary="")
    add_issue(page, 0, "自来水水压不足", "water")
    page.click("form#diary-form button[type=submit]")

    expect(page.locator(".field-summary .errors")).to_be_visible()
    # The cursor waits in the field to fix, which names its error for screen readers.
    expect(page.locator("#id_summary")).to_be_focused()
    expect(page.locator("#id_summary")).to_have_attribute("aria-invalid", "true")
    # What was typed is still there.
    expect(page.locator("#id_issues-0-title")).to_have_value("自来水水压不足")
    page.screenshot(path=artifacts_dir / "diary-error-phone-zh.png", full_page=True)
    assert DiaryEntry.objects.count() == 0
    assert Issue.objects.count() == 0


def test_draft_is_restored_after_a_reload_and_cleared_once_saved(
    page, village_cadre, categories, artifacts_dir
):
    log_in(page, "village_cadre")
    page.goto("/diaries/new/")
    fill_entry(page, summary="草稿：走访了三户")
    add_issue(page, 0, "垃圾清运不及时", "roads")
    add_issue(page, 1, "水管漏水", "water")
    page.check("#id_issues-1-resolved_on_spot")
    page.fill("#id_issues-1-resolution", "已关阀门")

    page.reload()
    expect(page.locator("[data-draft-note]")).to_be_visible()
    expect(page.locator("#id_summary")).to_have_value("草稿：走访了三户")
    expect(page.locator("#id_issues-1-title")).to_have_value("水管漏水")
    expect(page.locator("#id_issues-1-category")).to_have_value("water")
    expect(page.locator("#id_issues-1-resolved_on_spot")).to_be_checked()
    expect(page.locator("#id_issues-TOTAL_FORMS")).to_have_value("2")
    page.screenshot(path=artifacts_dir / "diary-draft-restored-phone-zh.png", full_page=True)

    page.click("form#diary-form button[type=submit]")
    expect(page.locator(".message.success")).to_be_visible()
    assert DiaryEntry.objects.get().issues.count() == 2
    page.goto("/diaries/new/")
    expect(page.locator("[data-draft-note]")).to_be_hidden()
    expect(page.locator("#id_summary")).to_have_value("")


def test_english_switch_shows_english(page, village_cadre, categories, artifacts_dir):
    log_in(page, "village_cadre")
    expect(page.locator("nav")).to_contain_text("我的问题")
    page.select_option("#language-select", "en")
    page.click("form.lang button[type=submit]")
    expect(page.locator("nav")).to_contain_text("My issues")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=artifacts_dir / "home-phone-en.png", full_page=True)
    page.goto("/diaries/new/")
    expect(page.locator("h1")).to_have_text("New diary entry")
    page.screenshot(path=artifacts_dir / "diary-form-phone-en.png", full_page=True)


def test_pages_on_a_desktop_in_both_languages(
    desktop_page, village_cadre, categories, artifacts_dir
):
    from issues.services import escalate_issue, raise_issue

    issue = raise_issue(
        actor=village_cadre,
        division=village_cadre.cadre.postings.get().division,
        category=categories[0],
        title="自来水水压不足",
        reporter_name="王大伯",
        reporter_phone="13812345678",
    )
    escalate_issue(actor=village_cadre, issue=issue, reason="multi_department", note="需协调")
    page = desktop_page
    log_in(page, "village_cadre")
    for language in ("zh", "en"):
        if language == "en":
            page.select_option("#language-select", "en")
            page.click("form.lang button[type=submit]")
            expect(page.locator("html")).to_have_attribute("lang", "en")
        for name, url in (
            ("home", "/"),
            ("issues", "/issues/"),
            ("issue", f"/issues/{issue.pk}/"),
            ("diary-form", "/diaries/new/"),
        ):
            page.goto(url)
            expect(page.locator("main h1")).to_be_visible()
            page.screenshot(path=artifacts_dir / f"{name}-desktop-{language}.png", full_page=True)


def test_an_open_issue_like_the_one_being_typed_is_shown_at_once(
    page, village_cadre, categories, shaoxing, artifacts_dir
):
    from issues.services import raise_issue

    known = raise_issue(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        category=categories[0],
        title="工地夜间施工噪音太大",
    )
    log_in(page, "village_cadre")
    page.goto("/diaries/new/")
    add_issue(page, 0, "工地夜间施工噪音扰民", "water")
    hint = page.locator("#issues-rows [data-similar]").first
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("附近已有类似的未办结问题")
    expect(hint).to_contain_text(f"#{known.pk} 工地夜间施工噪音太大")
    page.screenshot(path=artifacts_dir / "diary-similar-hint-phone-zh.png", full_page=True)
    # Another category: nothing like it, and the hint goes away.
    page.select_option("#id_issues-0-category", "roads")
    expect(hint).to_be_hidden()
