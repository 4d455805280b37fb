"""The cadre's issue pages: my issues, one issue with its timeline, and its actions."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Tier
from issues import services
from issues.models import Issue, IssueEvent
from issues.rules import ACTIONS, allowed_actions

from ..factories import CategoryFactory, DepartmentFactory

# Every action but resolving on the spot, which belongs to the diary entry.
PAGE_ACTIONS = set(ACTIONS) - {"resolve_on_spot"}


@pytest.fixture
def water(db):
    return CategoryFactory(code="water", name_zh="供水", name_en="Water supply")


def raise_at(cadre, water, title="自来水水压不足", division=None, **kw):
    return services.raise_issue(
        actor=cadre,
        division=division or cadre.cadre.postings.get().division,
        posting=cadre.cadre.postings.get(),
        category=water,
        title=title,
        reporter_name="王大伯",
        reporter_phone="13812345678",
        **kw,
    )


def shown_actions(html: str) -> set[str]:
    return set(re.findall(r'id="action-([a-z_]+)"', html))


def form_of(response, name: str):
    return next(a["form"] for a in response.context["actions"] if a["name"] == name)


def detail(client, issue):
    return client.get(reverse("issues:detail", args=[issue.pk]))


def act(client, issue, action, **data):
    issue.refresh_from_db()
    payload = {f"{action}-version": issue.version}
    payload.update({f"{action}-{k}": v for k, v in data.items()})
    return client.post(reverse("issues:action", args=[issue.pk, action]), payload)


# The issue page ------------------------------------------------------------------------------


def test_issue_page_shows_details_and_the_timeline_oldest_first(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    services.comment_issue(actor=village_cadre, issue=issue, note="已联系水务站")
    services.escalate_issue(
        actor=village_cadre, issue=issue, reason="beyond_authority", note="需更换主管道"
    )
    client.force_login(village_cadre)
    response = detail(client, issue)
    assert response.status_code == 200
    events = response.context["events"]
    assert [e.kind for e in events] == ["raised", "commented", "escalated"]
    assert events[2].tier_from == Tier.VILLAGE and events[2].tier_to == Tier.TOWN
    timeline = response.text.split('id="timeline-heading"')[1]
    assert timeline.count("演示驻村指导员") == 3  # each event names its actor
    assert "需更换主管道" in response.text
    assert "兰亭街道" in response.text  # the holder, now the town


@pytest.mark.parametrize(
    "persona",
    ["village_cadre", "town_office", "county_office", "county_leader", "city_office", "superuser"],
)
@pytest.mark.parametrize("stage", ["village", "town", "resolved"])
def test_issue_page_offers_exactly_the_allowed_actions(
    request, client, village_cadre, town_office, water, persona, stage
):
    issue = raise_at(village_cadre, water)
    if stage == "town":
        issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level")
    elif stage == "resolved":
        issue = services.resolve_issue(actor=village_cadre, issue=issue, resolution="已修复")
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = detail(client, issue)
    assert response.status_code == 200
    expected = set(allowed_actions(user, issue)) & PAGE_ACTIONS
    assert shown_actions(response.text) == expected
    assert "comment" in expected


def test_cadre_gets_404_for_an_issue_outside_their_postings(
    client, village_cadre, community_cadre, water
):
    issue = raise_at(community_cadre, water)
    client.force_login(village_cadre)
    assert detail(client, issue).status_code == 404
    response = act(client, issue, "comment", note="看看")
    assert response.status_code == 404
    assert not issue.events.filter(kind=IssueEvent.Kind.COMMENTED).exists()


def test_unknown_action_is_404(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    assert act(client, issue, "delete").status_code == 404


def test_actions_are_post_only(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    url = reverse("issues:action", args=[issue.pk, "resolve"])
    assert client.get(url).status_code == 405


def test_reporter_phone_is_masked_for_those_who_cannot_act(
    client, village_cadre, town_office, county_leader, water
):
    issue = raise_at(village_cadre, water)
    for who in (village_cadre, town_office):
        client.force_login(who)
        assert "13812345678" in detail(client, issue).text
    # A county leader sees a village issue but has nothing to do with it there.
    client.force_login(county_leader)
    page = detail(client, issue).text
    assert "13812345678" not in page
    assert "138****5678" in page


# Actions -------------------------------------------------------------------------------------


def test_cadre_resolves_with_a_resolution(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    response = act(client, issue, "resolve", resolution="已协调水务站加压")
    assert response.status_code == 302
    assert response.url == reverse("issues:detail", args=[issue.pk])
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    assert issue.resolution == "已协调水务站加压"
    assert len(list(client.get(response.url).context["messages"])) == 1


def test_resolve_without_resolution_is_a_form_error_and_changes_nothing(
    client, village_cadre, water
):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    response = act(client, issue, "resolve", resolution="   ")
    assert response.status_code == 400
    assert form_of(response, "resolve").errors
    issue.refresh_from_db()
    assert issue.status == Issue.Status.OPEN
    assert issue.events.count() == 1


def test_cadre_escalates_with_a_reason_and_finds_it_at_town_tier(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    response = act(client, issue, "escalate", reason="beyond_authority", note="需区里协调")
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.tier == Tier.TOWN
    assert issue.holder_id == "330603008000"
    page = client.get(response.url)
    escalated = page.context["events"][-1]
    assert escalated.kind == IssueEvent.Kind.ESCALATED
    assert escalated.reason == "beyond_authority"
    # At town tier the cadre may only comment now.
    assert shown_actions(page.text) == {"comment"}


def test_escalating_with_the_sweeps_reason_is_refused(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    response = act(client, issue, "escalate", reason="overdue")
    assert response.status_code == 400
    assert form_of(response, "escalate").errors["reason"]
    issue.refresh_from_db()
    assert issue.tier == Tier.VILLAGE


def test_acting_on_a_stale_page_is_a_message_not_a_change(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    stale = issue.version
    services.comment_issue(actor=village_cadre, issue=issue, note="先记一笔")
    services.resolve_issue(actor=village_cadre, issue=issue, resolution="已解决")
    response = client.post(
        reverse("issues:action", args=[issue.pk, "escalate"]),
        {"escalate-version": stale, "escalate-reason": "multi_level"},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    issue.refresh_from_db()
    assert issue.tier == Tier.VILLAGE


def test_action_not_allowed_is_a_message_and_changes_nothing(
    client, village_cadre, town_office, water
):
    issue = raise_at(village_cadre, water)
    issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level")
    client.force_login(village_cadre)
    response = act(client, issue, "resolve", resolution="我来办结")
    assert response.status_code == 302
    messages = list(client.get(response.url).context["messages"])
    assert [m.level_tag for m in messages] == ["error"]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.OPEN


def test_comment_is_added_to_the_timeline(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    act(client, issue, "comment", note="下周回访")
    assert issue.events.last().note == "下周回访"


def test_the_raiser_cannot_rate_but_the_office_records_unsatisfied_and_it_reopens(
    client, village_cadre, town_office, water
):
    issue = raise_at(village_cadre, water)
    services.resolve_issue(actor=village_cadre, issue=issue, resolution="已处理")
    client.force_login(village_cadre)
    page = client.get(reverse("issues:detail", args=[issue.pk]))
    assert 'id="action-feedback"' not in page.content.decode()
    refused = act(client, issue, "feedback", rating="satisfied", via="phone")
    assert refused.status_code == 302  # back to the page, with the refusal as its message
    issue.refresh_from_db()
    assert issue.rating == ""
    client.force_login(town_office)
    response = act(
        client, issue, "feedback", rating="unsatisfied", via="phone", note="水压仍然不够"
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.rating == "unsatisfied"
    assert issue.status == Issue.Status.OPEN


def test_bad_feedback_rating_is_a_form_error(client, village_cadre, town_office, water):
    issue = raise_at(village_cadre, water)
    services.resolve_issue(actor=village_cadre, issue=issue, resolution="已处理")
    client.force_login(town_office)
    response = act(client, issue, "feedback", rating="thrilled")
    assert response.status_code == 400
    issue.refresh_from_db()
    assert issue.rating == ""


# My issues -----------------------------------------------------------------------------------


def test_my_issues_lists_only_visible_issues_overdue_first(
    client, village_cadre, community_cadre, water
):
    raise_at(village_cadre, water, title="新问题")
    late = raise_at(village_cadre, water, title="逾期问题")
    Issue.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=2))
    raise_at(community_cadre, water, title="别处的问题")
    client.force_login(village_cadre)
    response = client.get(reverse("issues:list"))
    assert [i.title for i in response.context["page"].object_list] == ["逾期问题", "新问题"]
    assert 'class="light red"' in response.text
    assert "别处的问题" not in response.text


def test_my_issues_filters_by_status_tier_and_posting(client, village_cadre, water):
    kept = raise_at(village_cadre, water, title="上报的问题")
    services.escalate_issue(actor=village_cadre, issue=kept, reason="multi_department")
    done = raise_at(village_cadre, water, title="已办结的问题")
    services.resolve_issue(actor=village_cadre, issue=done, resolution="已处理")
    posting = village_cadre.cadre.postings.get()
    client.force_login(village_cadre)

    def titles(query):
        response = client.get(reverse("issues:list"), query)
        return [i.title for i in response.context["page"].object_list]

    assert titles({"tier": "town"}) == ["上报的问题"]
    assert titles({"status": "resolved"}) == ["已办结的问题"]
    assert titles({"status": "open", "tier": "village"}) == []
    assert sorted(titles({"posting": posting.pk})) == ["上报的问题", "已办结的问题"]
    # A value that is not a choice is ignored, not an error page.
    assert len(titles({"tier": "galaxy", "posting": "abc"})) == 2


def test_my_issues_row_says_where_the_issue_stands_and_when_it_is_due(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level")
    client.force_login(village_cadre)
    text = client.get(reverse("issues:list")).text
    assert "兰亭街道" in text
    assert "到期 " + timezone.localtime(issue.due_at).strftime("%Y-%m-%d %H:%M") in text
    assert f"#{issue.pk} " in text


def test_my_issues_runs_the_same_queries_whatever_the_page_size(
    client, village_cadre, water, query_budget
):
    client.force_login(village_cadre)
    raise_at(village_cadre, water)
    client.get(reverse("issues:list"))
    with query_budget.measure():
        client.get(reverse("issues:list"))
    assert query_budget.count <= 12
    for n in range(20):
        issue = raise_at(village_cadre, water, title=f"问题{n}")
        if n % 3 == 0:
            services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level")
    with query_budget.same():
        response = client.get(reverse("issues:list"))
    assert len(response.context["page"].object_list) == 21


def test_issue_page_runs_the_same_queries_however_long_the_timeline(
    client, village_cadre, water, query_budget
):
    issue = raise_at(village_cadre, water)
    client.force_login(village_cadre)
    detail(client, issue)
    with query_budget.measure():
        detail(client, issue)
    # (one of them: the evidence panel's files)
    assert query_budget.count <= 13
    for n in range(8):
        services.comment_issue(actor=village_cadre, issue=issue, note=f"第{n}条")
    with query_budget.same():
        detail(client, issue)


def test_deadline_light_turns_amber_when_most_of_the_time_is_used(client, village_cadre, water):
    issue = raise_at(village_cadre, water)
    now = timezone.now()
    Issue.objects.filter(pk=issue.pk).update(
        arrived_at=now - datetime.timedelta(days=5), due_at=now + datetime.timedelta(days=1)
    )
    client.force_login(village_cadre)
    assert 'class="light amber"' in client.get(reverse("issues:list")).text
    assert 'class="light amber"' in detail(client, issue).text


def test_office_member_lists_issues_in_the_town_without_a_posting_filter(
    client, village_cadre, town_office, water
):
    raise_at(village_cadre, water, title="兰亭村的问题")
    client.force_login(town_office)
    response = client.get(reverse("issues:list"), {"posting": "1", "scope": "all"})
    assert response.status_code == 200
    assert "posting" not in response.context["filters"].fields
    assert [i.title for i in response.context["page"].object_list] == ["兰亭村的问题"]
    # The village holds it: it is not the office's own work until it comes up.
    mine = client.get(reverse("issues:list"), {"posting": "1"})
    assert list(mine.context["page"].object_list) == []


def test_my_issues_pages_keep_the_filters(client, village_cadre, water):
    for n in range(27):
        raise_at(village_cadre, water, title=f"问题{n}")
    client.force_login(village_cadre)
    first = client.get(reverse("issues:list"), {"status": "open"})
    assert 'href="?status=open&amp;page=2"' in first.text
    second = client.get(reverse("issues:list"), {"status": "open", "page": 2})
    assert len(second.context["page"].object_list) == 2


def test_town_office_assigns_from_the_issue_page_to_a_department_of_the_town(
    client, village_cadre, town_office, shaoxing, water
):
    issue = raise_at(village_cadre, water)
    issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_department")
    roads = DepartmentFactory(division=shaoxing.lanting, name="交通办")
    elsewhere = DepartmentFactory(division=shaoxing.fushan, name="府山交通办")
    client.force_login(town_office)

    refused = act(client, issue, "assign", department=elsewhere.pk)
    assert refused.status_code == 400
    assert Issue.objects.get(pk=issue.pk).department is None

    response = act(client, issue, "assign", department=roads.pk, note="周例会前先交办")
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.department) == (Issue.Status.ASSIGNED, roads)
    assert issue.events.last().kind == IssueEvent.Kind.ASSIGNED


def test_county_leader_claims_from_the_issue_page_and_the_second_sees_a_message(
    client, village_cadre, town_office, county_leader, second_county_leader, water
):
    issue = raise_at(village_cadre, water)
    issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level")
    issue = services.escalate_issue(actor=town_office, issue=issue, reason="multi_level")
    client.force_login(county_leader)
    assert "claim" in shown_actions(detail(client, issue).text)
    stale_version = issue.version

    assert act(client, issue, "claim").status_code == 302
    assert Issue.objects.get(pk=issue.pk).claimed_by == county_leader

    client.force_login(second_county_leader)
    assert "claim" not in shown_actions(detail(client, issue).text)
    payload = {"claim-version": stale_version}
    response = client.post(reverse("issues:action", args=[issue.pk, "claim"]), payload, follow=True)
    assert Issue.objects.get(pk=issue.pk).claimed_by == county_leader
    assert list(response.context["messages"])  # the refusal is told, not a 500
