"""The leaders' claim board."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from issues.models import Issue, IssueEvent
from issues.services import claim_issue

from .offices import county_department, issue_at_county, issue_at_town


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
    # One claimable too, so that each list's prefetches (its photos) run in the measure.
    issue_at_county(village_cadre, town_office, "c")
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
