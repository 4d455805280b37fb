"""Grids (一网格一支部): an issue's optional grid on every face, the grid member's view of
their grid, and "resolved within the grid" (小事不出网格) in the statistics."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.errors import NotFound
from dispatch.models import Grid, Membership
from issues.models import Issue
from issues.selectors import grid_ranking, stats
from issues.services import escalate_issue, resolve_issue

from ..diaries.test_views import entry_data
from ..factories import UserFactory
from .offices import category, issue_at_village

pytestmark = pytest.mark.django_db


@pytest.fixture
def grids(shaoxing):
    return (
        Grid.objects.create(
            name="第一网格", division=shaoxing.lanting_village, party_branch="第一支部"
        ),
        Grid.objects.create(name="第二网格", division=shaoxing.lanting_village),
        Grid.objects.create(name="谢家坞网格", division=shaoxing.xiejiawu),
    )


@pytest.fixture
def grid_member(shaoxing, grids):
    user = UserFactory(username="grid_member")
    Membership.objects.create(
        user=user, division=shaoxing.lanting_village, role=Membership.Role.GRID, grid=grids[0]
    )
    return user


def test_a_grid_member_sees_and_handles_only_their_grid(client, grids, grid_member, village_cadre):
    mine = issue_at_village(village_cadre, "网格内垃圾堆放", grid=grids[0])
    neighbours = issue_at_village(village_cadre, "邻格路灯不亮", grid=grids[1])
    no_grid = issue_at_village(village_cadre, "无网格的问题")
    assert list(Issue.objects.visible_to(grid_member)) == [mine]
    client.force_login(grid_member)
    listing = client.get("/issues/").content.decode()
    assert "网格内垃圾堆放" in listing and "邻格路灯不亮" not in listing
    assert client.get(f"/issues/{neighbours.pk}/").status_code == 404
    assert client.get(f"/issues/{no_grid.pk}/").status_code == 404
    page = client.get(f"/issues/{mine.pk}/").content.decode()
    assert "第一网格" in page and 'id="action-resolve"' in page
    with pytest.raises(NotFound):
        resolve_issue(actor=grid_member, issue=neighbours, resolution="x")
    resolve_issue(actor=grid_member, issue=mine, resolution="网格员协调清理")
    assert Issue.objects.get(pk=mine.pk).is_resolved


def test_once_it_leaves_the_grid_the_grid_member_only_follows_it(
    client, grids, grid_member, village_cadre
):
    issue = issue_at_village(village_cadre, grid=grids[0])
    escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    client.force_login(grid_member)
    page = client.get(f"/issues/{issue.pk}/").content.decode()
    assert 'id="action-resolve"' not in page


def test_a_grid_membership_names_a_grid_of_its_village(shaoxing, grids):
    user = UserFactory()
    with pytest.raises(ValidationError):
        Membership(user=user, division=shaoxing.lanting_village, role="grid").full_clean()
    with pytest.raises(ValidationError):
        Membership(
            user=user, division=shaoxing.lanting_village, role="grid", grid=grids[2]
        ).full_clean()
    with pytest.raises(ValidationError):
        Membership(user=user, division=shaoxing.lanting, role="office", grid=grids[0]).full_clean()


def test_the_api_raises_an_issue_in_a_grid_and_refuses_anothers(client, grids, village_cadre):
    category()
    client.force_login(village_cadre)
    body = {"division": "330603008250", "category": "water", "title": "下水道堵塞"}
    ok = client.post(
        "/api/v1/issues/", {**body, "grid": grids[1].pk}, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["grid"] == grids[1].pk
    for bad in (grids[2].pk, 999999):
        answer = client.post(
            "/api/v1/issues/", {**body, "grid": bad}, content_type="application/json"
        )
        assert answer.status_code == 400 and "grid" in answer.json()
    assert Issue.objects.count() == 1


def test_the_diary_form_takes_a_grid_for_each_issue(client, grids, village_cadre):
    category()
    posting = village_cadre.cadre.postings.get()
    client.force_login(village_cadre)
    form = client.get(reverse("diaries:new")).content.decode()
    assert "第一网格" in form and "谢家坞网格" not in form
    row = {"title": "路面坑洼", "category": "water", "grid": str(grids[1].pk)}
    answer = client.post(reverse("diaries:new"), entry_data(posting, [row]))
    assert answer.status_code == 302
    assert Issue.objects.get().grid == grids[1]
    # A grid not offered (another village's) is a form error and writes nothing.
    wrong = {**row, "grid": str(grids[2].pk)}
    assert client.post(reverse("diaries:new"), entry_data(posting, [wrong])).status_code == 400
    assert Issue.objects.count() == 1


def test_resolved_within_the_grid_per_grid_and_per_subtree(
    client, grids, village_cadre, town_office, superuser
):
    first, second, _other = grids
    for n in range(3):
        issue = issue_at_village(village_cadre, f"一格{n}", grid=first)
        if n < 2:
            resolve_issue(actor=village_cadre, issue=issue, resolution="格内解决")
    climbed = issue_at_village(village_cadre, "二格上交", grid=second)
    escalate_issue(actor=village_cadre, issue=climbed, reason="beyond_authority")
    resolve_issue(actor=town_office, issue=climbed, resolution="街道解决")
    resolve_issue(
        actor=village_cadre,
        issue=issue_at_village(village_cadre, "二格自办", grid=second),
        resolution="格内解决",
    )
    resolve_issue(
        actor=village_cadre, issue=issue_at_village(village_cadre, "无格"), resolution="x"
    )

    visible = Issue.objects.visible_to(town_office)
    assert stats(visible)["resolved_in_grid"] == 3
    assert stats(visible, within="330603008258")["resolved_in_grid"] == 0
    ranking = grid_ranking(visible)
    assert [(r["name"], r["found"], r["resolved_in_grid"]) for r in ranking] == [
        ("第一网格", 3, 2),
        ("第二网格", 2, 1),
    ]
    client.force_login(town_office)
    api = client.get("/api/v1/stats/").json()
    assert api["resolved_in_grid"] == 3 and api["by_grid"][0]["name"] == "第一网格"
    client.force_login(superuser)
    dashboard = client.get("/admin/").content.decode()
    assert 'id="grid-ranking"' in dashboard and "第一网格" in dashboard


def test_the_diary_api_takes_a_grid_for_each_issue(client, grids, village_cadre):
    from django.utils import timezone

    category()
    posting = village_cadre.cadre.postings.get()
    client.force_login(village_cadre)

    def entry(grid):
        return {
            "posting": posting.pk,
            "kind": "people",
            "visited_on": timezone.localdate().isoformat(),
            "households_visited": 3,
            "summary": "走访三户",
            "issues": [{"title": "路面坑洼", "category": "water", "grid": grid}],
        }

    ok = client.post("/api/v1/diaries/", entry(grids[0].pk), content_type="application/json")
    assert ok.status_code == 201, ok.content
    assert Issue.objects.get().grid == grids[0]
    wrong = client.post("/api/v1/diaries/", entry(grids[2].pk), content_type="application/json")
    assert wrong.status_code == 400
    assert Issue.objects.count() == 1
