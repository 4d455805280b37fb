"""Every number on the office dashboard links to a list of exactly the issues it counts:
followed with the test client, the list's count equals the number, for a town, a county and
a city office. Totals say their period; county and city offices see their towns and counties
ranked."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.utils import timezone

from issues import services
from issues.models import Issue

from ..contracts.builders import contract_at, project_for, resource_for
from ..factories import GridFactory
from .offices import category, county_department, town_department

LINK = re.compile(r'data-n="(\d+)" href="([^"]+)"')


@pytest.fixture
def territory(superuser, county_leader, county_office, shaoxing):
    """Issues in two towns of two counties, in every state a figure counts, through the
    services (the superuser acts wherever an office or leader would)."""
    water, road = category(), category("road", "道路", "Roads")
    s = services
    town_dept, county_dept = town_department(), county_department()
    grid = GridFactory(division=shaoxing.lanting_village)

    def raise_(title, village="330603008250", cat=water, **kw):
        return s.raise_issue(actor=superuser, division=village, category=cat, title=title, **kw)

    def up(issue, times=1):
        for _ in range(times):
            issue = s.escalate_issue(actor=superuser, issue=issue, reason="multi_level")
        return issue

    raise_("村里待办")
    raise_("谢家坞待办", village="330603008258", cat=road)
    up(raise_("镇里待办"))
    s.assign_issue(actor=superuser, issue=up(raise_("交办未签收")), department=town_dept)
    Issue.objects.filter(title="交办未签收").update(
        ack_due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    done = s.resolve_issue(actor=superuser, issue=up(raise_("镇里办结")), resolution="已办")
    s.record_feedback(actor=county_office, issue=done, rating="satisfied")
    called = s.resolve_issue(actor=superuser, issue=raise_("回访过"), resolution="已办")
    s.record_followup(actor=county_office, issue=called, outcome="unreachable")
    s.resolve_on_spot(actor=superuser, issue=raise_("网格内解决", grid=grid), resolution="当场")
    raise_("网格待办", grid=grid)
    late = up(raise_("超期未办"))
    Issue.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(days=2))
    s.supervise_issue(actor=superuser, issue=late, note="抓紧")
    claimed = up(raise_("区里认领"), 2)
    s.claim_issue(actor=county_leader, issue=claimed)
    s.assign_issue(actor=superuser, issue=up(raise_("区里交办"), 2), department=county_dept)
    up(raise_("市里待办"), 3)
    raise_("书圣故里待办", village="330602002045")
    s.resolve_issue(
        actor=superuser, issue=up(raise_("府山办结", village="330602002045")), resolution="已办"
    )
    # Co-building in 兰亭村: a signed contract with a resource and a project.
    contract = contract_at("sign", actor=superuser, community=shaoxing.lanting_village)
    resource_for(contract)
    project_for(contract)
    # Found last year and overdue: outside the year's totals, still a red light today.
    old = raise_("去年的问题")
    Issue.objects.filter(pk=old.pk).update(
        raised_on=timezone.localdate().replace(month=1, day=1) - datetime.timedelta(days=3),
        due_at=timezone.now() - datetime.timedelta(days=1),
    )


def figures(client) -> list[tuple[int, str]]:
    page = client.get("/admin/").content.decode()
    return [(int(n), html.unescape(url)) for n, url in LINK.findall(page)]


def assert_every_number_counts_its_list(client) -> list[tuple[int, str]]:
    links = figures(client)
    assert len(links) > 20
    for number, url in links:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["cl"].result_count == number, url
    return links


@pytest.mark.parametrize("office", ["town_office", "county_office", "city_office"])
def test_every_dashboard_number_is_the_count_of_its_list(client, territory, office, request):
    client.force_login(request.getfixturevalue(office))
    links = assert_every_number_counts_its_list(client)
    assert any(n > 0 for n, _url in links)


def test_the_town_sees_its_own_issues_only(client, territory, town_office):
    client.force_login(town_office)
    page = client.get("/admin/").content.decode()
    found = re.search(r'id="found">(\d+)<', page)
    # 兰亭街道's issues found this year: 12, not the two of 府山 nor last year's.
    assert found and int(found[1]) == 12
    # Overdue now: this year's 超期未办 and last year's issue.
    assert re.search(r'id="overdue">2<', page)
    assert 'id="unit-ranking"' not in page  # its villages are on the village chart


def test_totals_say_their_period(client, territory, town_office):
    client.force_login(town_office)
    page = client.get("/admin/").content.decode()
    year = timezone.localdate().replace(month=1, day=1).isoformat()
    assert re.search(rf'id="totals-period">[^<]*{year}', page)


def test_a_county_office_sees_its_towns_ranked(client, territory, county_office):
    client.force_login(county_office)
    page = client.get("/admin/").content.decode()
    ranking = page[page.index('id="unit-ranking"') :]
    assert "兰亭街道" in ranking
    assert "府山街道" not in ranking  # another county's town


def test_a_city_office_sees_its_counties_ranked_by_closure_rate(client, territory, city_office):
    client.force_login(city_office)
    page = client.get("/admin/").content.decode()
    ranking = page[page.index('id="unit-ranking"') :]
    # 越城区: 1 of 2 resolved (50%); 柯桥区: 3 of 12 (25.0%).
    assert ranking.index("越城区") < ranking.index("柯桥区")
    assert "50.0%" in ranking and "25.0%" in ranking


def test_the_charts_figures_are_links_too(client, territory, superuser):
    client.force_login(superuser)
    page = client.get("/admin/").content.decode()
    assert re.search(r'<svg class="chart".*?<a class="n" data-n=', page, re.S)
