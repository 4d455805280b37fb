"""Evidence on a 390 px phone: a cadre adds a photo to an issue in the diary form (shrunk in
the browser, its place kept), the town office sees its thumbnail on the meeting agenda, a
department resolves with an "after" photo, the office shows both to the public, and the
resident's page shows them."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from evidence.models import Attachment
from issues import services
from issues.models import Issue
from issues.tracking import make_token
from meetings.services import convene_meetings

from ..evidence.photos import jpeg
from ..factories import DEFAULT_PASSWORD, CategoryFactory
from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def phone(browser, live_server, username: str | None = None):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    if username:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("main form button[type=submit]")
        expect(page.locator("#id_username")).to_have_count(0)
    return context, page


def loaded(images) -> None:
    """Every image of the locator has arrived and decoded (a 404 has naturalWidth 0)."""
    expect(images.first).to_be_visible()
    for i in range(images.count()):
        images.nth(i).evaluate("img => img.decode()")
        assert images.nth(i).evaluate("img => img.naturalWidth") > 0


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (60, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_photo_from_diary_to_agenda_to_resolution_to_resident(
    browser,
    live_server,
    transactional_db,
    village_cadre,
    town_office,
    departments,
    social_member,
    artifacts_dir,
):
    CategoryFactory(code="water", name_zh="供水", name_en="Water supply")

    # The cadre writes the diary with a 2400x1800 photo from the camera.
    cadre, page = phone(browser, live_server, "village_cadre")
    page.goto("/diaries/new/")
    page.fill("#id_households_visited", "3")
    page.fill("#id_summary", "走访三户，村民反映水渠干涸。")
    page.click("[data-formset-add=issues]")
    page.fill("#id_issues-0-title", "水渠干涸影响灌溉")
    page.select_option("#id_issues-0-category", "water")
    page.set_input_files(
        "#id_issues-0-photos",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg(2400, 1800)}],
    )
    # The page shrinks it before anything is sent.
    expect(page.locator("#id_issues-0-photos[data-resized='1']")).to_have_count(1)
    page.click("form#diary-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/diaries/\d+/\?saved=1$"))
    page.screenshot(path=artifacts_dir / "evidence-diary-saved.png", full_page=True)
    cadre.close()

    issue = Issue.objects.get(title="水渠干涸影响灌溉")
    [before] = issue.attachments.all()
    # Shrunk in the browser to 1600 px, the place read from the EXIF it kept, then stripped.
    assert (before.width, before.height) == (1600, 1200)
    assert (str(issue.latitude), str(issue.longitude)) == ("30.010000", "120.500000")

    # The town office sees its thumbnail on the agenda of the weekly meeting.
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    convene_meetings()
    office, page = phone(browser, live_server, "town_office")
    meeting = issue.agenda_items.get().meeting
    page.goto(f"/meetings/{meeting.pk}/")
    loaded(page.locator(".thumbs img"))
    page.screenshot(path=artifacts_dir / "evidence-agenda.png", full_page=True)

    # Assigned to a department, which resolves it with an "after" photo from the issue page.
    services.assign_issue(actor=town_office, issue=issue, department=departments.social)
    services.acknowledge_issue(actor=social_member, issue=issue)
    dept, dpage = phone(browser, live_server, "social_member")
    dpage.goto(f"/issues/{issue.pk}/")
    panel = dpage.locator("#action-resolve")
    panel.locator("summary").click()
    panel.locator("#id_resolve-resolution").fill("已清淤疏通，恢复灌溉。")
    panel.locator("#id_resolve-photos").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(panel.locator("#id_resolve-photos[data-resized='1']")).to_have_count(1)
    panel.locator("button[type=submit]").click()
    expect(dpage.locator(".gallery.after img")).to_have_count(1)
    loaded(dpage.locator(".gallery img"))
    dpage.screenshot(path=artifacts_dir / "evidence-before-after.png", full_page=True)
    dept.close()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert Attachment.objects.get(role="after").event.kind == "resolved"

    # The office, who may act on it, shows both to the public.
    page.goto(f"/issues/{issue.pk}/")
    for _ in range(2):
        page.locator("form[action$='/publish/'] input[value='1'] + button").first.click()
    expect(page.locator(".gallery .photo.public")).to_have_count(2)
    office.close()

    # The resident's page, with no login, shows both.
    resident, rpage = phone(browser, live_server)
    rpage.goto(f"/r/{make_token(issue.pk)}/")
    expect(rpage.locator(".gallery img")).to_have_count(2)
    loaded(rpage.locator(".gallery img"))
    assert rpage.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rpage.screenshot(path=artifacts_dir / "evidence-resident.png", full_page=True)
    resident.close()
