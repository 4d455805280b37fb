"""Each persona's home: an office member's and a leader's own work, every number a link to a
list of exactly that number, and no cadre menus."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from issues import services
from issues.models import Issue

from ..factories import CategoryFactory


@pytest.fixture
def water(db):
    return CategoryFactory(code="water", name_zh="供水", name_en="Water supply")


def figures(page: str) -> dict[str, tuple[int, str]]:
    """id → (number shown, the link's href) of each figure on the page."""
    found = re.findall(
        r'<a href="([^"]+)" id="(home-[\w-]+)"><span class="value">(\d+)</span>', page
    )
    return {fid: (int(value), href.replace("&amp;", "&")) for href, fid, value in found}


def listed_count(client, href: str) -> int:
    page = client.get(href)
    assert page.status_code == 200, href
    if "page" in page.context:
        return page.context["page"].paginator.count
    return len(page.context["claimable"])


@pytest.fixture
def work(village_cadre, town_office, county_office, water):
    village = village_cadre.cadre.postings.get().division
    issues = [
        services.raise_issue(actor=village_cadre, division=village, category=water, title=t)
        for t in ["一", "二", "三", "四", "五"]
    ]
    for issue in issues[:4]:
        services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    for issue in issues[:2]:
        services.escalate_issue(actor=town_office, issue=issue, reason="multi_department")
    # One at the town is overdue, one at the county too.
    Issue.objects.filter(pk__in=[issues[2].pk, issues[0].pk]).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    services.supervise_issue(actor=county_office, issue=issues[1], note="请加快办理。")
    return issues


def test_every_number_on_an_office_members_home_is_the_count_of_its_list(client, town_office, work):
    client.force_login(town_office)
    page = client.get(reverse("home")).text
    shown = figures(page)
    assert shown["home-held"][0] == 2 and shown["home-overdue"][0] == 1
    for value, href in shown.values():
        assert listed_count(client, href) == value, href
    assert reverse("diaries:new") not in page
    assert "本周分析例会" in page


def test_every_number_on_a_leaders_home_is_the_count_of_its_list(client, county_leader, work):
    client.force_login(county_leader)
    page = client.get(reverse("home")).text
    shown = figures(page)
    assert shown["home-claimable"][0] == 2
    assert shown["home-claimable-overdue"][0] == 1
    assert shown["home-supervised"][0] == 1
    for fid, (value, href) in shown.items():
        if fid == "home-claimable-overdue":
            continue  # the board lists them first, among the claimable
        assert listed_count(client, href) == value, href
    assert reverse("diaries:new") not in page
