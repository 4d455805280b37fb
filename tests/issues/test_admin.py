"""The admin for offices and leaders: jurisdiction everywhere, transitions only through the
services, refusals as messages."""

from __future__ import annotations

import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from openpyxl import load_workbook

from issues.models import Issue, IssueEvent

from ..factories import DEFAULT_PASSWORD
from .offices import issue_at_town, issue_at_village, town_department

CHANGELIST = "/admin/issues/issue/"


@pytest.fixture
def ours(village_cadre):
    return issue_at_town(village_cadre, "兰亭灌溉渠堵塞")


@pytest.fixture
def theirs(community_cadre):
    return issue_at_village(community_cadre, "书圣故里井盖缺失", village="330602002045")


@pytest.fixture
def office_client(client, town_office):
    client.force_login(town_office)
    return client


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(client, action: str, issues, **data):
    return client.post(
        CHANGELIST,
        {"action": action, ACTION_CHECKBOX_NAME: [i.pk for i in issues], "apply": "1", **data},
        follow=True,
    )


# Getting in ---------------------------------------------------------------------------------


def test_office_member_logs_into_the_admin_without_a_staff_flag(client, town_office):
    assert not town_office.is_staff
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "town_office", "password": DEFAULT_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_cadre_cannot_log_into_the_admin(client, village_cadre):
    response = client.post(
        "/admin/login/", {"username": "village_cadre", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200  # the form again, with its error
    client.force_login(village_cadre)
    assert client.get("/admin/").status_code == 302


def test_leader_may_view_issues_but_not_edit_categories(client, county_leader):
    client.force_login(county_leader)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get("/admin/issues/category/add/").status_code == 403


# Jurisdiction -------------------------------------------------------------------------------


def test_changelist_lists_only_the_towns_issues(office_client, ours, theirs):
    page = office_client.get(CHANGELIST).content.decode()
    assert ours.title in page
    assert theirs.title not in page


def test_another_towns_issue_is_a_404_in_the_change_view(office_client, ours, theirs):
    assert office_client.get(f"{CHANGELIST}{ours.pk}/change/").status_code == 200
    assert office_client.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 404
    assert office_client.get(f"{CHANGELIST}{theirs.pk}/history/").status_code == 404


def test_search_does_not_find_another_towns_issue(office_client, ours, theirs):
    page = office_client.get(CHANGELIST, {"q": "井盖"}).content.decode()
    assert theirs.title not in page
    page = office_client.get(CHANGELIST, {"q": "灌溉"}).content.decode()
    assert ours.title in page


def test_autocomplete_offers_only_the_towns_issues(office_client, ours, theirs):
    response = office_client.get(
        "/admin/autocomplete/",
        {"app_label": "issues", "model_name": "issueevent", "field_name": "issue", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(r["id"]) for r in response.json()["results"]}
    assert ids == {ours.pk}


def test_superuser_sees_every_issue(client, superuser, ours, theirs):
    client.force_login(superuser)
    page = client.get(CHANGELIST).content.decode()
    assert ours.title in page and theirs.title in page


def test_village_filter_offers_only_the_users_villages(office_client, ours, theirs):
    # The filter is an autocomplete over the user's divisions, not a sidebar of villages.
    page = office_client.get(CHANGELIST).content.decode()
    assert 'data-field-name="division"' in page and "330602002045" not in page
    response = office_client.get(
        "/admin/autocomplete/",
        {"app_label": "issues", "model_name": "issue", "field_name": "division", "term": "3306"},
    )
    codes = {r["id"] for r in response.json()["results"]}
    assert "330603008250" in codes
    assert "330602002045" not in codes


def test_village_filter_keeps_the_issues_found_within_the_division(client, superuser, ours, theirs):
    client.force_login(superuser)
    page = client.get(CHANGELIST, {"village": "330603008250"}).content.decode()
    assert ours.title in page and theirs.title not in page
    assert '<option value="330603008250" selected>' in page
    page = client.get(CHANGELIST, {"village": "330602000000"}).content.decode()
    assert theirs.title in page and ours.title not in page


def test_filters_refuse_junk_without_an_error(client, superuser, ours):
    client.force_login(superuser)
    for params in ({"village": "junk"}, {"department": "x1"}):
        response = client.get(CHANGELIST, params)
        assert response.status_code == 200
        assert ours.title not in response.content.decode()


def test_change_view_shows_the_timeline(office_client, ours):
    page = office_client.get(f"{CHANGELIST}{ours.pk}/change/").content.decode()
    assert "村里解决不了" in page  # the escalation note on the timeline


# No raw writes ------------------------------------------------------------------------------


def test_change_form_cannot_write_the_status(office_client, ours):
    response = office_client.post(
        f"{CHANGELIST}{ours.pk}/change/", {"status": "resolved", "tier": "city", "title": "x"}
    )
    assert response.status_code == 403
    ours.refresh_from_db()
    assert (ours.status, ours.tier, ours.title) == ("open", "town", "兰亭灌溉渠堵塞")


def test_no_one_deletes_an_issue_in_the_admin(client, superuser, ours):
    client.force_login(superuser)
    assert client.get(f"{CHANGELIST}{ours.pk}/delete/").status_code == 403


# Actions ------------------------------------------------------------------------------------


def test_action_first_asks_for_the_department(office_client, ours):
    town_department()
    response = office_client.post(
        CHANGELIST, {"action": "assign_action", ACTION_CHECKBOX_NAME: [ours.pk]}
    )
    assert response.status_code == 200
    assert "兰亭街道农业农村办" in response.content.decode()
    ours.refresh_from_db()
    assert ours.status == Issue.Status.OPEN


def test_assign_action_assigns_through_the_service(office_client, ours, town_office):
    dept = town_department()
    response = run_action(office_client, "assign_action", [ours], department=dept.pk, note="尽快")
    ours.refresh_from_db()
    assert (ours.status, ours.department) == (Issue.Status.ASSIGNED, dept)
    event = ours.events.last()
    assert (event.kind, event.actor, event.note) == (IssueEvent.Kind.ASSIGNED, town_office, "尽快")
    assert any("1" in m for m in texts(response))


def test_escalate_action_moves_the_issue_to_the_county(office_client, ours):
    run_action(office_client, "escalate_action", [ours], reason="multi_level", note="需区协调")
    ours.refresh_from_db()
    assert (ours.tier, ours.holder_id) == ("county", "330603000000")
    assert ours.events.last().reason == "multi_level"


def test_refused_action_is_a_message_and_writes_nothing(office_client, village_cadre):
    # At village tier the cadre acts; the town office may look but not resolve it.
    at_village = issue_at_village(village_cadre, "村里的小事")
    events = at_village.events.count()
    response = run_action(office_client, "resolve_action", [at_village], resolution="办好了")
    assert response.status_code == 200
    assert any("村里的小事" in m for m in texts(response))
    at_village.refresh_from_db()
    assert at_village.status == Issue.Status.OPEN
    assert at_village.events.count() == events


def test_one_refusal_rolls_back_the_whole_batch(office_client, ours, village_cadre):
    at_village = issue_at_village(village_cadre, "村里的小事")
    run_action(office_client, "resolve_action", [ours, at_village], resolution="办好了")
    ours.refresh_from_db()
    assert ours.status == Issue.Status.OPEN
    assert not ours.events.filter(kind=IssueEvent.Kind.RESOLVED).exists()


def test_action_on_another_towns_issue_touches_nothing(office_client, theirs):
    run_action(office_client, "resolve_action", [theirs], resolution="办好了")
    theirs.refresh_from_db()
    assert theirs.status == Issue.Status.OPEN
    assert theirs.events.count() == 1


def test_bad_input_shows_the_form_again_and_writes_nothing(office_client, ours):
    response = office_client.post(
        CHANGELIST,
        {
            "action": "escalate_action",
            ACTION_CHECKBOX_NAME: [ours.pk],
            "apply": "1",
            "reason": "overdue",
        },
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    ours.refresh_from_db()
    assert ours.tier == "town"


def test_export_holds_only_the_selected_visible_issues(office_client, ours, theirs):
    response = office_client.post(
        CHANGELIST, {"action": "export_xlsx", ACTION_CHECKBOX_NAME: [ours.pk, theirs.pk]}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:3] == ("编号", "标题", "类别")
    assert [r[0] for r in rows[1:]] == [ours.pk]


# The territory admin ------------------------------------------------------------------------


def test_territory_admin_is_scoped_to_the_town(office_client, enterprise, community_cadre):
    from dispatch.models import Cadre, Department

    ours = town_department()
    theirs = Department.objects.create(name="府山街道城管科", division_id="330602002000")
    page = office_client.get("/admin/dispatch/department/").content.decode()
    assert ours.name in page and theirs.name not in page
    assert office_client.get(f"/admin/dispatch/department/{theirs.pk}/change/").status_code == 404
    assert (
        office_client.get(f"/admin/dispatch/enterprise/{enterprise.pk}/change/").status_code == 200
    )
    other_cadre = Cadre.objects.get(user=community_cadre)
    assert office_client.get(f"/admin/dispatch/cadre/{other_cadre.pk}/change/").status_code == 404
    response = office_client.get(
        "/admin/autocomplete/",
        {"app_label": "dispatch", "model_name": "enterprise", "field_name": "division", "term": ""},
    )
    codes = {r["id"] for r in response.json()["results"]}
    assert "330603008250" in codes
    assert not any(c.startswith("330602") for c in codes)


def test_office_member_only_views_the_territory(office_client):
    assert office_client.get("/admin/dispatch/department/add/").status_code == 403


def test_search_finds_an_issue_by_number_phone_reporter_and_text(office_client, ours):
    Issue.objects.filter(pk=ours.pk).update(reporter_name="王大伯", reporter_phone="13812345678")
    for term in [str(ours.pk), f"#{ours.pk}", "13812345678", "王大伯", "灌溉"]:
        page = office_client.get(CHANGELIST, {"q": term})
        assert [row.pk for row in page.context["cl"].result_list] == [ours.pk], term
