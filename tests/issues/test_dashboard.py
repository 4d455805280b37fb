"""The office dashboard on the admin index: the subtree's figures, drawn on the server, in a
fixed number of queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from common.weeks import current_week
from issues.models import Issue
from meetings.services import convene_meeting

from ..factories import division
from .offices import category, issue_at_town, issue_at_village

VILLAGES = [f"330603008{n:03d}" for n in range(700, 720)]


def bulk_issues(count: int, *, resolved_every: int = 4) -> None:
    """`count` issues from 20 villages of 兰亭街道 over the last 12 weeks; every
    `resolved_every`th resolved, at town tier."""
    cats = [category("water"), category("road", "道路", "Roads")]
    villages = [division(code) for code in VILLAGES]
    now = timezone.now()
    today = timezone.localdate()
    rows = []
    for n in range(count):
        raised = today - datetime.timedelta(days=n % 84)
        done = n % resolved_every == 0
        rows.append(
            Issue(
                title=f"批量问题{n}",
                category=cats[n % 2],
                division=villages[n % len(villages)],
                raised_on=raised,
                raised_at=now,
                tier="town" if done else "village",
                holder_id="330603008000" if done else villages[n % len(villages)].code,
                peak_tier="town" if done else "village",
                status="resolved" if done else "open",
                resolved_at=now - datetime.timedelta(days=n % 70) if done else None,
                resolved_tier="town" if done else "",
                arrived_at=now,
                due_at=now + datetime.timedelta(days=(n % 10) - 3),
            )
        )
    Issue.objects.bulk_create(rows, batch_size=2000)


@pytest.mark.slow
def test_dashboard_of_ten_thousand_issues_runs_a_fixed_number_of_queries(
    client, town_office, query_budget
):
    client.force_login(town_office)
    bulk_issues(10)
    with query_budget.measure():
        assert client.get("/admin/").status_code == 200
    bulk_issues(9990)
    assert Issue.objects.count() == 10_000
    with query_budget.at_most():
        response = client.get("/admin/")
    page = response.content.decode()
    # 2,500 of 10,000 resolved.
    assert re.search(r'id="closure-rate">25\.0%<', page)
    assert page.count('<svg class="chart"') == 3


def test_dashboard_shows_the_subtrees_figures_only(
    client, town_office, village_cadre, community_cadre
):
    issue_at_town(village_cadre, "兰亭的问题")
    issue_at_village(village_cadre, "兰亭村的问题")
    issue_at_village(community_cadre, "府山的问题", village="330602002045")
    client.force_login(town_office)
    page = client.get("/admin/").content.decode()
    assert 'id="new-this-week">2<' in page
    assert "兰亭村" in page  # the village chart
    assert "书圣故里社区" not in page


def test_dashboard_links_to_this_weeks_meeting(client, town_office, village_cadre, shaoxing):
    issue_at_town(village_cadre)
    client.force_login(town_office)
    page = client.get("/admin/").content.decode()
    assert 'name="town" value="330603008000"' in page  # convene it from here
    meeting = convene_meeting(town=shaoxing.lanting, week=current_week())
    page = client.get("/admin/").content.decode()
    assert f'href="/meetings/{meeting.pk}/"' in page


def test_week_chart_labels_escape_names(client, superuser, village_cadre):
    from dispatch.models import Division

    issue_at_village(village_cadre)
    Division.objects.filter(code="330603008250").update(name="<script>x</script>")
    client.force_login(superuser)
    page = client.get("/admin/").content.decode()
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_dashboard_figures_are_cached_briefly_and_per_jurisdiction(
    client, settings, superuser, town_office, village_cadre, community_cadre
):
    settings.SANBUFU_DASHBOARD_CACHE_SECONDS = 60
    issue_at_village(village_cadre, "兰亭村的问题")
    client.force_login(town_office)
    assert 'id="new-this-week">1<' in client.get("/admin/").content.decode()
    issue_at_village(village_cadre, "兰亭村的第二个问题")
    # Within the lifetime the office reads the figures it read a moment ago...
    assert 'id="new-this-week">1<' in client.get("/admin/").content.decode()
    # ...while another jurisdiction gets its own, never the town's.
    issue_at_village(community_cadre, "府山的问题", village="330602002045")
    client.force_login(superuser)
    assert 'id="new-this-week">3<' in client.get("/admin/").content.decode()
    settings.SANBUFU_DASHBOARD_CACHE_SECONDS = 0
    client.force_login(town_office)
    assert 'id="new-this-week">2<' in client.get("/admin/").content.decode()
