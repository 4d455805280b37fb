"""A full-page screenshot of every page each persona uses, at a phone's 390 px and a desk's
1366 px, in Chinese and English, saved as
`$SANBUFU_ARTIFACTS/screenshots/<lang>/<width>/<persona>-<page>.png` for people to look at.

Each page is also judged as a user would: it answers with the status it should, speaks the
language asked for, has no sideways scrolling on a phone, and in Chinese shows none of the
English words a half-translated page would leave behind.

One live server, one browser; each persona is logged in once per (language, width) by a
session cookie, and its context visits all its pages. A new page is one line in PAGES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from evidence.services import add_evidence
from fieldwork.services import add_household, deploy_cadres, open_campaign
from issues.services import assign_issue, claim_issue, resolve_issue
from issues.tracking import make_token
from meetings.services import convene_meeting, decide_agenda_item, record_attendance

from ..evidence.photos import jpeg
from ..factories import CadreFactory, CategoryFactory
from ..issues.offices import issue_at_county, issue_at_town, issue_at_village

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# persona, page, path (filled from the data below), expected status.
PAGES: list[tuple[str, str, str, int]] = [
    ("cadre", "home", "/", 200),
    ("cadre", "diary-form", "/diaries/new/", 200),
    ("cadre", "issue-list", "/issues/", 200),
    ("cadre", "issue-detail", "/issues/{at_village}/", 200),
    ("cadre", "inbox", "/inbox/", 200),
    ("cadre", "households", "/fieldwork/households/", 200),
    ("cadre", "household", "/fieldwork/households/{household}/", 200),
    ("cadre", "not-found", "/issues/{elsewhere}/", 404),
    ("enterprise-cadre", "home", "/", 200),
    ("enterprise-cadre", "diary-form", "/diaries/new/", 200),
    ("enterprise-cadre", "issue-list", "/issues/", 200),
    ("town-office", "home", "/", 200),
    ("town-office", "issue-list", "/issues/?scope=all", 200),
    ("town-office", "issue-detail", "/issues/{at_town}/", 200),
    ("town-office", "queue", "/queue/", 200),
    ("town-office", "meetings", "/meetings/", 200),
    ("town-office", "meeting", "/meetings/{meeting}/", 200),
    ("town-office", "meeting-print", "/meetings/{meeting}/print/", 200),
    ("town-office", "dashboard", "/admin/", 200),
    ("town-office", "admin-issues", "/admin/issues/issue/", 200),
    ("town-office", "admin-issue", "/admin/issues/issue/{at_town}/change/", 200),
    ("town-office", "followups", "/followups/", 200),
    ("town-office", "coverage", "/fieldwork/coverage/", 200),
    ("town-office", "campaigns", "/fieldwork/campaigns/", 200),
    ("town-office", "campaign", "/fieldwork/campaigns/{campaign}/", 200),
    ("town-office", "deployments", "/fieldwork/deployments/", 200),
    ("town-office", "deployment", "/fieldwork/deployments/{deployment}/", 200),
    ("town-office", "inbox", "/inbox/", 200),
    ("town-office", "forbidden", "/admin/auth/user/", 403),
    ("county-office", "home", "/", 200),
    ("county-office", "issue-list", "/issues/?scope=all", 200),
    ("county-office", "dashboard", "/admin/", 200),
    ("county-office", "admin-issues", "/admin/issues/issue/", 200),
    ("county-office", "followups", "/followups/", 200),
    ("county-office", "campaign", "/fieldwork/campaigns/{campaign}/", 200),
    ("city-office", "home", "/", 200),
    ("city-office", "dashboard", "/admin/", 200),
    ("city-office", "admin-issues", "/admin/issues/issue/", 200),
    ("county-leader", "home", "/", 200),
    ("county-leader", "board", "/board/", 200),
    ("county-leader", "board-history", "/board/history/", 200),
    ("county-leader", "issue-detail", "/issues/{claimed}/", 200),
    ("county-leader", "dashboard", "/admin/", 200),
    ("city-leader", "dashboard", "/admin/", 200),
    ("city-leader", "home", "/", 200),
    ("city-leader", "board", "/board/", 200),
    ("city-leader", "board-history", "/board/history/", 200),
    ("department", "home", "/", 200),
    ("department", "queue", "/queue/", 200),
    ("department", "issue-detail", "/issues/{assigned}/", 200),
    ("department", "inbox", "/inbox/", 200),
    ("resident", "page", "/r/{token}/", 200),
    ("resident", "not-found", "/r/not-a-token/", 404),
]

LANGUAGES = {"zh-hans": "zh-CN", "en": "en-US"}
WIDTHS = {390: 844, 1366: 900}
# Words a Chinese page shows only where a translation is missing.
ENGLISH = re.compile(
    r"\b(Issues?|Claim(?:ed)?|Meetings?|Overdue|Resolved?|Escalated?|Submit|Save|Search|"
    r"Filters?|Status|Due|Inbox|Queue|Assign(?:ed)?|Department|Decision|Minutes|Home|"
    r"Log (?:in|out)|Please|Choose|Nothing|Deadline|Village|Town|County|City)\b"
)

HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Visit:
    persona: str
    page: str
    status: int
    lang: str
    scroll_width: int
    inner_width: int
    english: list[str]
    chinese: bool


@pytest.fixture
def personas(
    transactional_db,
    shaoxing,
    village_cadre,
    enterprise_cadre,
    town_office,
    county_office,
    city_office,
    county_leader,
    city_leader,
    departments,
    social_member,
    community_cadre,
    other_town_office,
):
    """Each persona's user and the rows their pages show, made through the services."""
    CategoryFactory(code="roads", name_zh="道路交通", name_en="Roads")
    at_village = issue_at_village(village_cadre, "村口路灯不亮", description="晚上看不清路")
    at_town = issue_at_town(village_cadre, "灌溉渠堵塞，影响春耕", reporter_phone="13812345678")
    assigned = issue_at_town(village_cadre, "低保申请材料退回")
    assign_issue(actor=town_office, issue=assigned, department=departments.social)
    to_claim = issue_at_county(village_cadre, town_office, "跨村道路塌方，需区里协调")
    claimed = claim_issue(
        actor=county_leader, issue=issue_at_county(village_cadre, town_office, "桥梁护栏缺损")
    )
    done = resolve_issue(
        actor=town_office,
        issue=issue_at_town(village_cadre, "垃圾清运不及时", reporter_phone="13912345678"),
        resolution="已调整清运时间",
    )
    elsewhere = issue_at_town(community_cadre, "府山街道的事", village=shaoxing.shusheng.code)
    meeting = convene_meeting(town=shaoxing.lanting, week=_this_week())
    record_attendance(
        actor=town_office,
        meeting=meeting,
        host=town_office,
        attendees=[village_cadre],
        attendee_names="县农业农村局李科长",
    )
    item = meeting.items.get(issue=at_town)
    decide_agenda_item(actor=town_office, item=item, decision="carry_over", note="下周再议")
    # Field work and evidence: a register, a campaign, a 下沉 deployment, a photo.
    today = timezone.localdate()
    household, _other = (
        add_household(actor=village_cadre, village=shaoxing.lanting_village, label=label)
        for label in ("兰亭村1号 王家", "兰亭村2号 李家")
    )
    campaign = open_campaign(
        actor=town_office,
        name="冬季大走访",
        kind="visits",
        within=shaoxing.lanting,
        started_on=today - timedelta(days=7),
        ended_on=today + timedelta(days=7),
        target_per_posting=4,
    )
    deployment = deploy_cadres(
        actor=town_office,
        division=shaoxing.lanting_village,
        cadres=[CadreFactory(name="下沉干部甲"), CadreFactory(name="下沉干部乙")],
        started_on=today,
        ended_on=today + timedelta(days=14),
        tasks=["独居老人照料走访", "防诈骗宣传"],
    )
    add_evidence(
        actor=village_cadre,
        issue=at_village,
        files=[SimpleUploadedFile("ditch.jpg", jpeg(), "image/jpeg")],
    )
    users = {
        "cadre": village_cadre,
        "enterprise-cadre": enterprise_cadre,
        "town-office": town_office,
        "county-office": county_office,
        "city-office": city_office,
        "county-leader": county_leader,
        "city-leader": city_leader,
        "department": social_member,
        "resident": None,
    }
    ids = {
        "at_village": at_village.pk,
        "at_town": at_town.pk,
        "assigned": assigned.pk,
        "to_claim": to_claim.pk,
        "claimed": claimed.pk,
        "elsewhere": elsewhere.pk,
        "meeting": meeting.pk,
        "token": make_token(done.pk),
        "campaign": campaign.pk,
        "household": household.pk,
        "deployment": deployment.pk,
    }
    return users, ids


def _this_week() -> str:
    from common.weeks import current_week

    return current_week()


def _session_cookie(user, base_url: str) -> list[dict]:
    """A logged-in session without the login page: Django's test client makes it."""
    if user is None:
        return []
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_of_every_persona(
    browser, live_server, personas, artifacts_dir, language, width
):
    users, ids = personas
    folder = artifacts_dir / "screenshots" / language / str(width)
    folder.mkdir(parents=True, exist_ok=True)
    visits: list[Visit] = []
    by_persona: dict[str, list[tuple[str, str, int]]] = {}
    for persona, name, path, status in PAGES:
        by_persona.setdefault(persona, []).append((name, path.format(**ids), status))
    for persona, pages in by_persona.items():
        context = browser.new_context(
            viewport={"width": width, "height": WIDTHS[width]},
            locale=LANGUAGES[language],
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        context.add_cookies(
            [
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
                *_session_cookie(users[persona], live_server.url),
            ]
        )
        page = context.new_page()
        for name, path, _status in pages:
            response = page.goto(path)
            seen = page.evaluate(
                """() => ({
                    lang: document.documentElement.lang,
                    scroll: document.scrollingElement.scrollWidth,
                    inner: window.innerWidth,
                    text: document.title + "\\n" + document.body.innerText,
                })"""
            )
            page.screenshot(path=folder / f"{persona}-{name}.png", full_page=True)
            visits.append(
                Visit(
                    persona,
                    name,
                    response.status if response else 0,
                    seen["lang"],
                    seen["scroll"],
                    seen["inner"],
                    sorted(set(ENGLISH.findall(seen["text"]))) if language != "en" else [],
                    bool(HAN.search(seen["text"])),
                )
            )
        context.close()

    expected = {(p, n): s for p, n, _path, s in PAGES}
    problems = []
    for v in visits:
        where = f"{v.persona}-{v.page}"
        if v.status != expected[(v.persona, v.page)]:
            problems.append(f"{where}: status {v.status}")
        if not v.lang.lower().startswith(language.split("-")[0]):
            problems.append(f"{where}: lang {v.lang!r}")
        if v.scroll_width > v.inner_width + 1:
            problems.append(f"{where}: {v.scroll_width} px wide in a {v.inner_width} px window")
        if language != "en" and not v.chinese:
            problems.append(f"{where}: no Chinese on a Chinese page")
        if v.english:
            problems.append(f"{where}: English on a Chinese page: {', '.join(v.english)}")
    assert problems == []
    assert len(list(folder.glob("*.png"))) >= len(PAGES)
