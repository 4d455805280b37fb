"""The leaders' claim board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages

from issues.models import Issue, IssueEvent
from issues.services import claim_issue, escalate_issue, resolve_issue

from .offices import category, county_department, issue_at_county, issue_at_town


@pytest.fixture
def at_county(village_cadre, town_office):
    return issue_at_county(village_cadre, town_office, "跨村道路塌方")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_board_lists_the_countys_claimable_issues(client, county_leader, at_county, village_cadre):
    at_town = issue_at_town(village_cadre, "镇里的问题")
    client.force_login(county_leader)
    page = client.get("/board/").content.decode()
    assert at_county.title in page
    assert f'action="/issues/{at_county.pk}/claim/"' in page
    assert at_town.title not in page


def test_board_puts_overdue_issues_first(client, county_leader, village_cadre, town_office):
    fresh = issue_at_county(village_cadre, town_office, "新到的")
    late = issue_at_county(village_cadre, town_office, "超期的")
    Issue.objects.filter(pk=late.pk).update(due_at=late.arrived_at.replace(year=2020))
    client.force_login(county_leader)
    page = client.get("/board/").content.decode()
    assert page.index(late.title) < page.index(fresh.title)


def test_another_countys_leader_does_not_see_it(client, at_county, shaoxing):
    from ..conftest import _member

    yuecheng_leader = _member("yuecheng_leader", shaoxing.yuecheng, "leader")
    client.force_login(yuecheng_leader)
    assert at_county.title not in client.get("/board/").content.decode()
    response = client.post(f"/issues/{at_county.pk}/claim/", {"next": "/board/"})
    assert response.status_code == 404
    at_county.refresh_from_db()
    assert at_county.claimed_by is None


def test_claiming_is_one_click(client, county_leader, at_county):
    client.force_login(county_leader)
    response = client.post(f"/issues/{at_county.pk}/claim/", {"next": "/board/"}, follow=True)
    at_county.refresh_from_db()
    assert (at_county.status, at_county.claimed_by) == (Issue.Status.CLAIMED, county_leader)
    assert at_county.events.last().kind == IssueEvent.Kind.CLAIMED
    page = response.content.decode()
    assert f'id="mine-{at_county.pk}"' in page


def test_the_loser_of_a_claim_race_sees_who_claimed_it(
    client, county_leader, second_county_leader, at_county
):
    # The second leader's page was loaded before the first leader clicked.
    client.force_login(second_county_leader)
    assert f"/issues/{at_county.pk}/claim/" in client.get("/board/").content.decode()
    claim_issue(actor=county_leader, issue=at_county)
    response = client.post(f"/issues/{at_county.pk}/claim/", {"next": "/board/"})
    assert (response.status_code, response.url) == (302, "/board/")
    response = client.get(response.url)
    assert any("county_leader" in m and at_county.title in m for m in texts(response))
    at_county.refresh_from_db()
    assert at_county.claimed_by == county_leader
    assert at_county.events.filter(kind=IssueEvent.Kind.CLAIMED).count() == 1
    # And the board now shows it as claimed by the other leader.
    page = client.get("/board/").content.decode()
    assert f'id="taken-{at_county.pk}"' in page


def test_claimer_assigns_to_a_department_of_the_county(client, county_leader, at_county):
    dept = county_department()
    claim_issue(actor=county_leader, issue=at_county)
    client.force_login(county_leader)
    page = client.get("/board/").content.decode()
    assert "柯桥区住建局" in page
    response = client.post(
        f"/issues/{at_county.pk}/assign/",
        {"assign-department": dept.pk, "assign-note": "限期处理", "next": "/board/"},
    )
    assert (response.status_code, response.url) == (302, "/board/")
    at_county.refresh_from_db()
    assert (at_county.status, at_county.department) == (Issue.Status.ASSIGNED, dept)


def test_assigning_to_another_divisions_department_is_a_form_error(
    client, county_leader, at_county
):
    from .offices import town_department

    claim_issue(actor=county_leader, issue=at_county)
    client.force_login(county_leader)
    response = client.post(
        f"/issues/{at_county.pk}/assign/",
        {"assign-department": town_department().pk, "next": "/board/"},
    )
    assert response.status_code == 400
    forms = {a["name"]: a["form"] for a in response.context["actions"]}
    assert forms["assign"].errors["department"]
    at_county.refresh_from_db()
    assert at_county.status == Issue.Status.CLAIMED


def test_claimer_resolves(client, county_leader, at_county):
    claim_issue(actor=county_leader, issue=at_county)
    client.force_login(county_leader)
    response = client.post(
        f"/issues/{at_county.pk}/resolve/", {"resolve-resolution": "已抢修", "next": "/board/"}
    )
    assert (response.status_code, response.url) == (302, "/board/")
    at_county.refresh_from_db()
    assert (at_county.status, at_county.resolved_tier) == ("resolved", "county")


def test_resolving_without_words_writes_nothing(client, county_leader, at_county):
    claim_issue(actor=county_leader, issue=at_county)
    client.force_login(county_leader)
    response = client.post(f"/issues/{at_county.pk}/resolve/", {"next": "/board/"})
    assert response.status_code == 400
    at_county.refresh_from_db()
    assert at_county.status == Issue.Status.CLAIMED


def test_board_runs_a_fixed_number_of_queries(
    client, county_leader, village_cadre, town_office, query_budget
):
    county_department()
    for n in range(2):
        claim_issue(actor=county_leader, issue=issue_at_county(village_cadre, town_office, f"a{n}"))
    # One to claim too, so that each list's prefetches (latest steps, photos) run in the measure.
    issue_at_county(village_cadre, town_office, "d")
    client.force_login(county_leader)
    client.get("/board/")
    with query_budget.measure():
        client.get("/board/")
    for n in range(8):
        claim_issue(actor=county_leader, issue=issue_at_county(village_cadre, town_office, f"b{n}"))
        issue_at_county(village_cadre, town_office, f"c{n}")
    with query_budget.at_most():
        client.get("/board/")


def test_a_next_off_the_site_is_not_followed(client, county_leader, at_county):
    client.force_login(county_leader)
    response = client.post(
        f"/issues/{at_county.pk}/claim/", {"next": "https://evil.example/board/"}
    )
    assert (response.status_code, response.url) == (302, f"/issues/{at_county.pk}/")


# Why each issue came up, the filters, the history ------------------------------------------


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_board_shows_why_each_issue_came_up(client, county_leader, village_cadre, town_office):
    issue = issue_at_county(village_cadre, town_office, "跨村道路塌方", description="雨后塌了三米")
    Issue.objects.filter(pk=issue.pk).update(arrived_at=issue.arrived_at - timedelta(days=4))
    client.force_login(county_leader)
    page = english(client).get("/board/").content.decode()
    row = page[page.index(f'id="issue-{issue.pk}"') :]
    assert "雨后塌了三米" in row
    assert "Escalated because: involves several departments" in row
    assert "涉及多个部门" in row  # the town office's note on the escalation
    assert "Waiting 4 days at this tier" in row
    # The last decisions: the town's escalation and the village's before it.
    steps = row[row.index("Latest steps") :]
    assert steps.index("town → county") < steps.index("village → town")


def test_board_speaks_chinese_by_default(client, county_leader, at_county):
    client.force_login(county_leader)
    page = client.get("/board/").content.decode()
    assert "上报原因：涉及多个部门" in page
    assert "Escalated because" not in page


def test_board_filters_by_category_and_overdue(client, county_leader, village_cadre, town_office):
    roads = category("roads", "道路", "Roads")
    water = issue_at_county(village_cadre, town_office, "供水管爆了")
    road = issue_at_county(village_cadre, town_office, "道路塌方", category=roads)
    late = issue_at_county(village_cadre, town_office, "超期未认领")
    Issue.objects.filter(pk=late.pk).update(due_at=late.arrived_at - timedelta(days=1))
    client.force_login(county_leader)

    page = client.get("/board/", {"category": roads.pk}).content.decode()
    assert road.title in page and water.title not in page and late.title not in page
    page = client.get("/board/", {"overdue": "on"}).content.decode()
    assert late.title in page and water.title not in page and road.title not in page
    # The filters fold away until used.
    assert "<details open>" not in client.get("/board/").content.decode()
    assert "<details open>" in page


def test_a_city_leader_filters_by_county(
    client,
    city_leader,
    village_cadre,
    town_office,
    county_office,
    community_cadre,
    other_town_office,
    shaoxing,
):
    from ..conftest import _member

    keqiao = issue_at_county(village_cadre, town_office, "柯桥区的事")
    escalate_issue(actor=county_office, issue=keqiao, reason="multi_level", note="")
    yuecheng = issue_at_county(
        community_cadre, other_town_office, "越城区的事", village=shaoxing.shusheng.code
    )
    yuecheng_office = _member("yuecheng_office", shaoxing.yuecheng, "office")
    escalate_issue(actor=yuecheng_office, issue=yuecheng, reason="multi_level", note="")
    client.force_login(city_leader)
    page = client.get("/board/").content.decode()
    assert "柯桥区的事" in page and "越城区的事" in page
    page = client.get("/board/", {"county": shaoxing.keqiao.code}).content.decode()
    assert "柯桥区的事" in page and "越城区的事" not in page


def test_a_county_leader_has_no_county_filter(client, county_leader, at_county):
    client.force_login(county_leader)
    page = client.get("/board/").content.decode()
    assert 'name="county"' not in page and 'name="category"' in page


def test_a_bad_filter_is_a_form_error_not_a_500(client, county_leader, at_county):
    client.force_login(county_leader)
    response = client.get("/board/", {"category": "x"})
    assert response.status_code == 200
    assert response.context["filters"].errors["category"]


def test_history_lists_what_the_leader_claimed_and_resolved(
    client, county_leader, second_county_leader, village_cadre, town_office
):
    resolved = issue_at_county(village_cadre, town_office, "已办结的")
    claim_issue(actor=county_leader, issue=resolved)
    resolve_issue(actor=county_leader, issue=resolved, resolution="已修复")
    in_hand = claim_issue(
        actor=county_leader, issue=issue_at_county(village_cadre, town_office, "在办的")
    )
    others = claim_issue(
        actor=second_county_leader, issue=issue_at_county(village_cadre, town_office, "别人的")
    )
    client.force_login(county_leader)
    response = english(client).get("/board/history/")
    page = response.content.decode()
    assert f'id="history-{resolved.pk}"' in page and f'id="history-{in_hand.pk}"' in page
    assert f'id="history-{others.pk}"' not in page
    assert "2 issues claimed · 1 issue resolved" in page
    row = page[page.index(f'id="history-{resolved.pk}"') :]
    assert "resolved by me on" in row[: row.index("</li>")]
    # Newest claim first.
    assert page.index(in_hand.title) < page.index(resolved.title)
    # The tabs link the board and its history.
    assert 'href="/board/history/" aria-current="page"' in page


def test_history_is_empty_for_someone_who_never_claimed(client, second_county_leader):
    client.force_login(second_county_leader)
    response = client.get("/board/history/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


def test_history_runs_a_fixed_number_of_queries(
    client, county_leader, village_cadre, town_office, query_budget
):
    claim_issue(actor=county_leader, issue=issue_at_county(village_cadre, town_office, "a"))
    client.force_login(county_leader)
    client.get("/board/history/")
    with query_budget.measure():
        client.get("/board/history/")
    for n in range(6):
        issue = claim_issue(
            actor=county_leader, issue=issue_at_county(village_cadre, town_office, f"b{n}")
        )
        resolve_issue(actor=county_leader, issue=issue, resolution="好了")
    with query_budget.same():
        client.get("/board/history/")


def test_board_with_history_runs_a_fixed_number_of_queries(
    client, county_leader, village_cadre, town_office, query_budget
):
    issue_at_county(village_cadre, town_office, "a", description="x")
    client.force_login(county_leader)
    client.get("/board/")
    with query_budget.measure():
        client.get("/board/")
    for n in range(10):
        issue_at_county(village_cadre, town_office, f"b{n}", description="y")
    with query_budget.same():
        client.get("/board/")
