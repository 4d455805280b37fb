"""The work orders of departments through the REST API: department memberships, the queue
filters, each new transition and the units' assessment (stats/units)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from dispatch.models import Membership
from issues import services
from issues.models import Issue

from ..factories import IssueFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def town_issue(village_cadre, water):
    issue = IssueFactory(actor=village_cadre, category=water)
    return services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_department")


@pytest.fixture
def assigned(client_for, town_issue, town_office, departments, social_member, urban_member):
    answer = client_for(town_office).post(
        f"/api/v1/issues/{town_issue.pk}/assign/",
        {
            "department": departments.social.pk,
            "co_departments": [departments.urban.pk],
            "note": "请牵头",
        },
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    return answer.json()


def post(client, issue_id: int, action: str, body: dict | None = None):
    return client.post(f"/api/v1/issues/{issue_id}/{action}/", body or {}, format="json")


# Memberships ------------------------------------------------------------------------------------


def test_office_adds_a_department_member(client_for, town_office, departments):
    UserFactory(username="新承办人")
    client = client_for(town_office)
    answer = client.post(
        "/api/v1/memberships/",
        {"user": "新承办人", "department": departments.social.pk, "role": "department"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["division"] == departments.social.division_id
    membership = Membership.objects.get(user__username="新承办人")
    assert membership.department == departments.social
    again = client.post(
        "/api/v1/memberships/",
        {"user": "新承办人", "department": departments.social.pk, "role": "department"},
        format="json",
    )
    assert again.status_code == 400


def test_office_cannot_add_members_to_anothers_department(
    client_for, other_town_office, departments
):
    UserFactory(username="外人")
    answer = client_for(other_town_office).post(
        "/api/v1/memberships/",
        {"user": "外人", "department": departments.social.pk, "role": "department"},
        format="json",
    )
    assert answer.status_code == 400
    assert "department" in answer.json()
    missing = client_for(other_town_office).post(
        "/api/v1/memberships/", {"user": "外人", "role": "department"}, format="json"
    )
    assert missing.status_code == 400 and "department" in missing.json()
    assert not Membership.objects.filter(user__username="外人").exists()


def test_a_department_member_gets_no_admin_work(client_for, social_member):
    assert client_for(social_member).get("/api/v1/memberships/").status_code == 403


# The queue ------------------------------------------------------------------------------------


def test_member_queue_lists_only_their_departments_work(
    client_for, assigned, village_cadre, social_member, urban_member, safety_member, water
):
    IssueFactory(actor=village_cadre, category=water)
    for member in (social_member, urban_member):
        body = client_for(member).get("/api/v1/issues/?mine=true").json()
        assert [i["id"] for i in body["results"]] == [assigned["id"]]
    assert client_for(safety_member).get("/api/v1/issues/").json()["count"] == 0
    assert client_for(safety_member).get(f"/api/v1/issues/{assigned['id']}/").status_code == 404


def test_issue_shows_its_work_order(assigned, departments):
    assert assigned["department"] == departments.social.pk
    assert assigned["co_departments"] == [departments.urban.pk]
    assert assigned["acknowledged_at"] is None and assigned["ack_due_at"]
    assert assigned["ack_state"] == "green"
    assert assigned["extensions"] == 0
    assert assigned["pending_extension"] is None and assigned["supervision"] is None


def test_queue_filters(
    client_for, assigned, town_office, social_member, departments, county_office
):
    client = client_for(town_office)
    ids = lambda q: [i["id"] for i in client.get(f"/api/v1/issues/?{q}").json()["results"]]  # noqa: E731
    assert ids("acknowledged=false") == [assigned["id"]]
    assert ids(f"department={departments.urban.pk}") == [assigned["id"]]
    assert ids(f"department={departments.safety.pk}") == []
    assert ids("supervised=true") == []
    post(client_for(social_member), assigned["id"], "acknowledge")
    post(client_for(county_office), assigned["id"], "supervise", {"note": "请加快"})
    assert ids("acknowledged=false") == []
    assert ids("acknowledged=true") == [assigned["id"]]
    assert ids("supervised=true") == [assigned["id"]]
    assert client.get("/api/v1/issues/?supervised=maybe").status_code == 400
    assert client.get("/api/v1/issues/?department=x").status_code == 400


def test_member_queue_runs_a_fixed_number_of_queries(
    client_for, town_office, village_cadre, departments, social_member, water, query_budget
):
    def assign_one():
        issue = IssueFactory(actor=village_cadre, category=water)
        issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level")
        services.assign_issue(
            actor=town_office,
            issue=issue,
            department=departments.social,
            co_departments=[departments.urban.pk],
        )

    assign_one()
    client = client_for(social_member)
    client.get("/api/v1/issues/")
    with query_budget.measure():
        client.get("/api/v1/issues/?mine=true")
    for _ in range(5):
        assign_one()
    with query_budget.same():
        answer = client.get("/api/v1/issues/?mine=true")
    assert answer.json()["count"] == 6


# Transitions ----------------------------------------------------------------------------------


def test_acknowledge_once_then_no_hand_back(client_for, assigned, social_member, urban_member):
    client = client_for(social_member)
    answer = post(client, assigned["id"], "acknowledge", {"version": assigned["version"]})
    assert answer.status_code == 200 and answer.json()["acknowledged_at"]
    assert post(client, assigned["id"], "acknowledge").status_code == 409
    assert post(client, assigned["id"], "hand_back", {"reason": "不属本部门"}).status_code == 409
    assert post(client_for(urban_member), assigned["id"], "acknowledge").status_code == 200
    events = client.get(f"/api/v1/issues/{assigned['id']}/events/").json()
    assert [e["kind"] for e in events].count("acknowledged") == 2


def test_acknowledge_refusals(client_for, assigned, town_office, safety_member, social_member):
    assert post(client_for(town_office), assigned["id"], "acknowledge").status_code == 403
    assert post(client_for(safety_member), assigned["id"], "acknowledge").status_code == 404
    stale = post(client_for(social_member), assigned["id"], "acknowledge", {"version": 1})
    assert stale.status_code == 409
    assert Issue.objects.get(pk=assigned["id"]).acknowledged_at is None


def test_hand_back_and_arbitration(client_for, assigned, social_member, town_office, departments):
    member = client_for(social_member)
    assert post(member, assigned["id"], "hand_back", {"reason": ""}).status_code == 400
    answer = post(
        member, assigned["id"], "hand_back", {"reason": "不属本部门", "note": "应由城建办"}
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "open"
    assert post(member, assigned["id"], "hand_back", {"reason": "再退"}).status_code == 404
    again = post(
        client_for(town_office), assigned["id"], "assign", {"department": departments.social.pk}
    )
    assert again.status_code == 200
    assert post(member, assigned["id"], "hand_back", {"reason": "再退"}).status_code == 409


def test_progress_extension_and_decision(
    client_for, assigned, social_member, urban_member, town_office, county_office
):
    issue_id = assigned["id"]
    assert (
        post(client_for(urban_member), issue_id, "progress", {"note": "已勘查"}).status_code == 200
    )
    assert post(client_for(urban_member), issue_id, "progress", {}).status_code == 400
    member = client_for(social_member)
    assert post(member, issue_id, "extension", {"days": 0, "reason": "x"}).status_code == 400
    assert post(member, issue_id, "extension", {"days": 11, "reason": "x"}).status_code == 400
    assert post(member, issue_id, "extension", {"days": "two", "reason": "x"}).status_code == 400
    asked = post(member, issue_id, "extension", {"days": 3, "reason": "等检测"})
    assert asked.status_code == 200
    assert asked.json()["pending_extension"]["days"] == 3
    assert post(member, issue_id, "extension", {"days": 1, "reason": "x"}).status_code == 409
    decide = f"/api/v1/issues/{issue_id}/extension/decide/"
    assert (
        client_for(county_office).post(decide, {"approve": True}, format="json").status_code == 403
    )
    assert client_for(town_office).post(decide, {}, format="json").status_code == 400
    answer = client_for(town_office).post(decide, {"approve": True}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["extensions"] == 1 and body["pending_extension"] is None
    assert body["due_at"] > assigned["due_at"]
    assert client_for(town_office).post(decide, {"approve": True}, format="json").status_code == 409


def test_supervise_and_reply(client_for, assigned, county_office, social_member, village_cadre):
    issue_id = assigned["id"]
    assert post(client_for(village_cadre), issue_id, "supervise", {"note": "x"}).status_code == 403
    past = (datetime.now(SHANGHAI) - timedelta(days=1)).isoformat()
    assert (
        post(client_for(county_office), issue_id, "supervise", {"reply_by": past}).status_code
        == 400
    )
    answer = post(client_for(county_office), issue_id, "supervise", {"note": "请加快"})
    assert answer.status_code == 200
    assert answer.json()["supervision"]["grade"] == "yellow"
    assert post(client_for(county_office), issue_id, "supervise", {}).status_code == 409
    reply = post(client_for(social_member), issue_id, "supervision_reply", {"note": "已落实"})
    assert reply.status_code == 200
    assert reply.json()["supervision"]["replied_at"]
    assert (
        post(client_for(social_member), issue_id, "supervision_reply", {"note": "x"}).status_code
        == 409
    )
    second = post(client_for(county_office), issue_id, "supervise", {})
    assert second.json()["supervision"]["grade"] == "red"


def test_the_schema_documents_the_new_transitions(client_for, superuser):
    schema = client_for(superuser).get("/api/v1/schema/?format=json").json()
    for path in (
        "acknowledge",
        "hand_back",
        "progress",
        "extension",
        "extension/decide",
        "supervise",
        "supervision_reply",
    ):
        assert f"/api/v1/issues/{{id}}/{path}/" in schema["paths"]
    assert "/api/v1/stats/units/" in schema["paths"]


# The units' assessment ------------------------------------------------------------------------


@pytest.fixture
def assessment(town_office, village_cadre, departments, social_member, urban_member, water):
    """A built data set of three assignments in November 2026 (Tuesday 17th, 10:00):
    - A to 社会事务办: signed on time, extended once, resolved on time, rated satisfied;
    - B to 社会事务办: signed late, resolved after its deadline, rated unsatisfied (redo);
    - C to 城建办: handed back, then given to 社会事务办, which never signs; a supervision
      order to it is answered late.
    """
    t0 = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI)

    def at_town():
        issue = IssueFactory(actor=village_cadre, category=water, now=t0)
        return services.escalate_issue(
            actor=village_cadre, issue=issue, reason="multi_level", now=t0
        )

    social, urban = departments.social, departments.urban
    a, b, c = at_town(), at_town(), at_town()
    services.assign_issue(actor=town_office, issue=a, department=social, now=t0)
    services.acknowledge_issue(actor=social_member, issue=a, now=t0 + timedelta(hours=1))
    services.request_extension(actor=social_member, issue=a, days=2, reason="等", now=t0)
    services.decide_extension(actor=town_office, issue=a, approve=True, now=t0)
    services.resolve_issue(
        actor=social_member, issue=a, resolution="办结", now=t0 + timedelta(days=1)
    )
    services.record_feedback(
        actor=town_office, issue=a, rating="satisfied", now=t0 + timedelta(days=2)
    )

    services.assign_issue(actor=town_office, issue=b, department=social, now=t0)
    services.acknowledge_issue(actor=social_member, issue=b, now=t0 + timedelta(days=2))
    b.refresh_from_db()
    services.resolve_issue(
        actor=social_member, issue=b, resolution="迟办", now=b.due_at + timedelta(hours=1)
    )
    services.record_feedback(
        actor=town_office, issue=b, rating="unsatisfied", now=b.due_at + timedelta(hours=2)
    )

    services.assign_issue(actor=town_office, issue=c, department=urban, now=t0)
    services.hand_back_issue(actor=urban_member, issue=c, reason="不属本部门", now=t0)
    services.assign_issue(actor=town_office, issue=c, department=social, now=t0)
    services.supervise_issue(actor=town_office, issue=c, reply_by=t0.date(), now=t0)
    services.reply_supervision(
        actor=social_member, issue=c, note="迟复", now=t0 + timedelta(days=1)
    )
    return departments


def units(client, query: str) -> dict:
    answer = client.get(f"/api/v1/stats/units/?{query}")
    assert answer.status_code == 200, answer.json()
    return {row["name"]: row for row in answer.json()}


def test_units_reproduce_hand_computed_figures(client_for, assessment, county_office):
    rows = units(
        client_for(county_office),
        "within=330603008000&level=department&since=2026-11-01&until=2026-12-31",
    )
    social = rows["社会事务办公室"]
    assert social["assigned"] == 3
    assert social["acknowledged"] == 2 and social["acknowledged_on_time"] == 1
    assert social["unacknowledged_overdue"] == 1
    assert social["handed_back"] == 0 and social["extended"] == 1
    assert social["resolved"] == 2 and social["resolved_on_time"] == 1
    assert social["resolved_on_time_without_extension"] == 0
    assert social["supervision_orders"] == 1 and social["late_replies"] == 1
    assert social["rated"] == 2
    assert social["satisfaction_rate"] == 0.5 and social["redo_rate"] == 0.5
    urban = rows["城建办"]
    assert urban["assigned"] == 1 and urban["handed_back"] == 1
    assert urban["resolved"] == 0 and urban["satisfaction_rate"] is None
    assert rows["平安办"]["assigned"] == 0
    # Another period: nothing happened.
    empty = units(client_for(county_office), "within=330603008000&since=2026-12-01")
    assert empty["社会事务办公室"]["assigned"] == 0


def test_units_by_town(client_for, assessment, county_office):
    rows = units(client_for(county_office), "within=330603000000&level=town")
    lanting = rows["兰亭街道"]
    assert lanting["assigned"] == 4 and lanting["resolved"] == 2
    assert lanting["supervision_orders"] == 1 and lanting["late_replies"] == 1


def test_units_refusals(client_for, assessment, social_member, other_town_office, county_office):
    assert (
        client_for(social_member).get("/api/v1/stats/units/?within=330603008000").status_code == 404
    )
    assert (
        client_for(other_town_office).get("/api/v1/stats/units/?within=330603008000").status_code
        == 404
    )
    client = client_for(county_office)
    assert client.get("/api/v1/stats/units/").status_code == 400
    assert client.get("/api/v1/stats/units/?within=999").status_code == 400
    assert client.get("/api/v1/stats/units/?within=330603008000&level=county").status_code == 400
    assert client.get("/api/v1/stats/units/?within=330603008000&level=x").status_code == 400
    bad = client.get("/api/v1/stats/units/?within=330603008000&since=2026-12-01&until=2026-11-01")
    assert bad.status_code == 400


def test_units_query_count_does_not_grow_with_units(
    client_for, assessment, county_office, query_budget, shaoxing
):
    from ..factories import DepartmentFactory

    client = client_for(county_office)
    client.get("/api/v1/stats/units/?within=330603000000")
    with query_budget.measure():
        client.get("/api/v1/stats/units/?within=330603000000")
    for i in range(10):
        DepartmentFactory(name=f"新部门{i}", division=shaoxing.lanting)
    with query_budget.same():
        answer = client.get("/api/v1/stats/units/?within=330603000000")
    assert len(answer.json()) == 14


def test_units_as_the_monthly_xlsx(client_for, assessment, county_office):
    answer = client_for(county_office).get(
        "/api/v1/stats/units/?within=330603008000&since=2026-11-01&until=2026-11-30&format=xlsx",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    assert "兰亭街道" in rows[0][0]
    headers = rows[1]
    assert headers[0] == "单位" and "签收" in "".join(str(h) for h in headers)
    social = next(r for r in rows if r[0] == "社会事务办公室")
    assert social[1] == 3
