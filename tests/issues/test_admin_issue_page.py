"""The admin's issue page as an office reads it: names, labels, local times, and the actions
the rules allow as buttons, each a small form calling the service; the list's "held by my
unit" filter, bulk actions only on held issues, and a fixed number of queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.utils import timezone

from issues.models import Issue, IssueEvent

from .offices import issue_at_county, issue_at_town, issue_at_village, town_department

CHANGELIST = "/admin/issues/issue/"


def change_url(issue) -> str:
    return f"{CHANGELIST}{issue.pk}/change/"


def act_url(issue, action: str) -> str:
    return f"{CHANGELIST}{issue.pk}/act/{action}/"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def ours(village_cadre):
    return issue_at_town(village_cadre, "兰亭灌溉渠堵塞")


@pytest.fixture
def office_client(client, town_office):
    client.force_login(town_office)
    return client


# The page -----------------------------------------------------------------------------------


def test_issue_page_names_people_and_labels_reasons_and_states(office_client, ours):
    page = office_client.get(change_url(ours)).content.decode()
    assert "演示驻村指导员" in page  # who raised and escalated it, by name
    assert "village_cadre" not in page  # never the login
    assert "本层级无法解决" in page  # the escalation reason's label
    assert "beyond_authority" not in page
    assert "村（社区）级 → 镇（街道）级" in page  # the timeline step between tiers


def test_issue_page_hides_the_bookkeeping(office_client, ours):
    page = office_client.get(change_url(ours)).content.decode()
    for field in ("version", "peak_tier", "handed_back_from", "posting"):
        assert f"field-{field}" not in page, field
    assert "最高层级" not in page and "版本" not in page


def test_issue_page_shows_times_in_shanghai(office_client, ours):
    # 2026-03-01 18:30 UTC is 2026-03-02 02:30 in Shanghai.
    moment = datetime.datetime(2026, 3, 1, 18, 30, tzinfo=datetime.UTC)
    Issue.objects.filter(pk=ours.pk).update(raised_at=moment)
    ours.events.update(at=moment)
    page = office_client.get(change_url(ours)).content.decode()
    assert "2026-03-02 02:30" in page
    assert "18:30" not in page


def test_issue_page_offers_the_actions_the_rules_allow_as_buttons(office_client, ours):
    page = office_client.get(change_url(ours)).content.decode()
    for action in ("resolve", "escalate", "assign", "return", "supervise"):
        assert f'href="{act_url(ours, action)}"' in page, action
    assert act_url(ours, "claim") not in page  # a town issue is not claimed


def test_a_village_issue_offers_the_town_office_no_resolve_button(office_client, village_cadre):
    at_village = issue_at_village(village_cadre, "村里的小事")
    page = office_client.get(change_url(at_village)).content.decode()
    assert act_url(at_village, "resolve") not in page
    assert act_url(at_village, "escalate") not in page


def test_a_county_leader_is_offered_the_claim(client, county_leader, village_cadre, town_office):
    issue = issue_at_county(village_cadre, town_office)
    client.force_login(county_leader)
    page = client.get(change_url(issue)).content.decode()
    assert f'href="{act_url(issue, "claim")}"' in page
    response = client.post(act_url(issue, "claim"), {"version": issue.version})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.claimed_by) == (Issue.Status.CLAIMED, county_leader)


# The action views ---------------------------------------------------------------------------


def test_action_view_shows_the_form_then_resolves_through_the_service(
    office_client, ours, town_office
):
    response = office_client.get(act_url(ours, "resolve"))
    assert response.status_code == 200
    assert 'name="resolution"' in response.content.decode()
    response = office_client.post(
        act_url(ours, "resolve"), {"resolution": "已疏通", "version": ours.version}
    )
    assert response.status_code == 302 and response["Location"] == change_url(ours)
    ours.refresh_from_db()
    assert ours.status == Issue.Status.RESOLVED
    event = ours.events.last()
    assert (event.kind, event.actor) == (IssueEvent.Kind.RESOLVED, town_office)


def test_action_view_with_bad_input_shows_the_error_and_writes_nothing(office_client, ours):
    events = ours.events.count()
    response = office_client.post(act_url(ours, "escalate"), {"reason": "", "version": 1})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert ours.events.count() == events


def test_refused_action_is_a_message_saying_why(office_client, ours, village_cadre):
    office_client.post(act_url(ours, "return"), {"reason": "属村级事务", "version": ours.version})
    ours.refresh_from_db()
    assert ours.tier == "village"
    ours = issue_at_town(village_cadre, "第二件")
    Issue.objects.filter(pk=ours.pk).update(returned_from=["town"])
    response = office_client.get(act_url(ours, "return"), follow=True)
    messages = texts(response)
    assert any("不能退回" in m or "cannot be returned" in m for m in messages), messages
    assert response.redirect_chain[-1][0] == change_url(ours)


def test_a_stale_page_is_refused_not_applied(office_client, ours):
    response = office_client.post(
        act_url(ours, "resolve"), {"resolution": "已疏通", "version": ours.version + 5}, follow=True
    )
    assert texts(response)
    ours.refresh_from_db()
    assert ours.status == Issue.Status.OPEN


def test_action_view_outside_the_jurisdiction_is_a_404(client, other_town_office, ours):
    client.force_login(other_town_office)
    assert client.get(act_url(ours, "resolve")).status_code == 404
    assert client.post(act_url(ours, "resolve"), {"resolution": "x"}).status_code == 404
    ours.refresh_from_db()
    assert ours.status == Issue.Status.OPEN


def test_unknown_action_is_a_404(office_client, ours):
    assert office_client.get(act_url(ours, "explode")).status_code == 404


# The list: held by my unit ------------------------------------------------------------------


def listed(client, **params) -> set[int]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {issue.pk for issue in response.context["cl"].result_list}


def test_held_by_my_unit_is_the_office_members_default(office_client, ours, village_cadre):
    at_village = issue_at_village(village_cadre, "村里的小事")
    assert listed(office_client) == {ours.pk}
    assert listed(office_client, held="all") == {ours.pk, at_village.pk}
    page = office_client.get(CHANGELIST).content.decode()
    assert "本单位承办" in page


def test_superuser_sees_everything_by_default(client, superuser, ours, village_cadre):
    at_village = issue_at_village(village_cadre, "村里的小事")
    client.force_login(superuser)
    assert listed(client) == {ours.pk, at_village.pk}


def test_search_looks_through_everything_visible(office_client, ours, village_cadre):
    at_village = issue_at_village(village_cadre, "村里的小事")
    assert listed(office_client, q=str(at_village.pk)) == {at_village.pk}


def test_bulk_transitions_are_offered_only_on_the_held_list(office_client, ours):
    held = office_client.get(CHANGELIST).content.decode()
    everything = office_client.get(CHANGELIST, {"held": "all"}).content.decode()
    assert 'value="resolve_action"' in held
    assert 'value="resolve_action"' not in everything
    assert 'value="export_xlsx"' in everything


def test_bulk_action_names_the_issues_not_held_and_changes_nothing(
    office_client, ours, village_cadre
):
    at_village = issue_at_village(village_cadre, "村里的小事")
    response = office_client.post(
        CHANGELIST,
        {
            "action": "resolve_action",
            ACTION_CHECKBOX_NAME: [ours.pk, at_village.pk],
            "apply": "1",
            "resolution": "办好了",
        },
        follow=True,
    )
    messages = texts(response)
    assert any(f"#{at_village.pk}" in m and "兰亭村" in m for m in messages), messages
    assert not any(f"#{ours.pk} " in m for m in messages)
    for issue in (ours, at_village):
        issue.refresh_from_db()
        assert issue.status == Issue.Status.OPEN


def test_changelist_names_who_handles_it(client, county_leader, village_cadre, town_office):
    from issues.services import claim_issue

    issue = issue_at_county(village_cadre, town_office)
    claim_issue(actor=county_leader, issue=issue)
    client.force_login(county_leader)
    page = client.get(CHANGELIST).content.decode()
    assert re.search(r'class="field-handler">county_leader<', page)  # no cadre: the login


def test_changelist_runs_a_fixed_number_of_queries(
    client, town_office, village_cadre, django_assert_max_num_queries
):
    client.force_login(town_office)
    dept = town_department()
    from issues.services import assign_issue

    issue_at_town(village_cadre, "第一件")
    client.get(CHANGELIST)
    with django_assert_max_num_queries(16) as few:
        client.get(CHANGELIST)
    for n in range(15):
        issue = issue_at_town(village_cadre, f"问题{n}")
        if n % 3 == 0:
            assign_issue(actor=town_office, issue=issue, department=dept)
    Issue.objects.update(due_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 16


def test_the_list_with_counts_shown_and_link_only_filters_set(office_client, ours):
    response = office_client.get(
        CHANGELIST, {"_facets": "True", "found_from": "2000-01-01", "rated": "yes", "grid": "x"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0  # no grid "x"
    response = office_client.get(CHANGELIST, {"_facets": "True", "found_from": "junk"})
    assert response.status_code == 200 and response.context["cl"].result_count == 0


def test_assign_from_the_issue_page_offers_the_holders_departments(office_client, ours):
    dept = town_department()
    page = office_client.get(act_url(ours, "assign")).content.decode()
    assert dept.name in page and "请选择" in page
    response = office_client.post(
        act_url(ours, "assign"), {"department": dept.pk, "note": "尽快", "version": ours.version}
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert (ours.status, ours.department) == (Issue.Status.ASSIGNED, dept)
