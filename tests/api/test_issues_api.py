"""The issues endpoints of API.md: reading, raising, each transition and its error answers."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation
from django.utils.translation import pgettext
from openpyxl import load_workbook

from dispatch.models import Tier
from issues import services
from issues.models import Issue, IssueEvent

from ..factories import DepartmentFactory, IssueFactory

DETAIL_FIELDS = {
    "id",
    "title",
    "description",
    "category",
    "status",
    "tier",
    "division",
    "enterprise",
    "holder",
    "department",
    "claimed_by",
    "raised_by",
    "raised_on",
    "raised_at",
    "due_at",
    "overdue",
    "deadline_state",
    "escalation_count",
    "resolved_at",
    "resolved_tier",
    "resolution",
    "rating",
    "version",
}


@pytest.fixture
def issue(shaoxing, water, village_cadre):
    return IssueFactory(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        category=water,
        title="村口水管破裂",
        reporter_name="王大妈",
        reporter_phone="13812345678",
    )


def at_county(issue, village_cadre, town_office):
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    services.escalate_issue(actor=town_office, issue=issue, reason="multi_department")
    return Issue.objects.get(pk=issue.pk)


# Authentication -----------------------------------------------------------------------------


def test_token_is_issued_for_right_credentials_and_refused_with_400_for_wrong(
    client_for, village_cadre
):
    client = client_for()
    ok = client.post(
        "/api/v1/auth/token/", {"username": "village_cadre", "password": "password"}, format="json"
    )
    assert ok.status_code == 200
    assert set(ok.json()) == {"token"}
    wrong = client.post(
        "/api/v1/auth/token/", {"username": "village_cadre", "password": "nope"}, format="json"
    )
    assert wrong.status_code == 400
    mine = client_for()
    mine.credentials(HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
    assert mine.get("/api/v1/issues/").status_code == 200


def test_unauthenticated_requests_get_401(client_for, issue):
    client = client_for()
    for path in ["/api/v1/issues/", f"/api/v1/issues/{issue.pk}/", "/api/v1/stats/"]:
        assert client.get(path).status_code == 401
    assert client.post(f"/api/v1/issues/{issue.pk}/comment/", {"note": "x"}).status_code == 401


# Reading ------------------------------------------------------------------------------------


def test_detail_has_every_field_of_the_contract(client_for, issue, village_cadre):
    body = client_for(village_cadre).get(f"/api/v1/issues/{issue.pk}/").json()
    assert set(body) >= DETAIL_FIELDS
    assert body["division"] == "330603008250"
    assert body["holder"] == "330603008250"
    assert body["category"] == "water"
    assert body["raised_by"] == "village_cadre"
    assert body["deadline_state"] == "green"
    assert body["overdue"] is False
    assert body["rating"] is None
    assert body["raised_at"].endswith("+08:00")


def test_issue_outside_jurisdiction_is_404_and_absent_from_lists(
    client_for, issue, community_cadre, outsider
):
    for user in (community_cadre, outsider):
        client = client_for(user)
        assert client.get(f"/api/v1/issues/{issue.pk}/").status_code == 404
        assert client.get(f"/api/v1/issues/{issue.pk}/events/").status_code == 404
        assert client.get("/api/v1/issues/").json()["count"] == 0
        answer = client.post(f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "x"})
        assert answer.status_code == 404


def test_reporter_phone_is_masked_for_those_who_cannot_act(
    client_for, issue, village_cadre, county_leader
):
    assert client_for(village_cadre).get(f"/api/v1/issues/{issue.pk}/").json()[
        "reporter_phone"
    ] == ("13812345678")
    seen = client_for(county_leader).get(f"/api/v1/issues/{issue.pk}/").json()
    assert seen["reporter_phone"] == "138****5678"


def test_events_are_the_timeline_oldest_first(client_for, issue, village_cadre, town_office):
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    services.comment_issue(actor=town_office, issue=issue, note="已联系水务站")
    events = client_for(town_office).get(f"/api/v1/issues/{issue.pk}/events/").json()
    assert [e["kind"] for e in events] == ["raised", "escalated", "commented"]
    assert set(events[0]) == {
        "kind",
        "tier_from",
        "tier_to",
        "actor",
        "reason",
        "note",
        "department",
        "co_departments",
        "related_issue",
        "at",
    }
    assert events[1]["tier_from"] == "village" and events[1]["tier_to"] == "town"
    assert events[1]["actor"] == "village_cadre"


# Raising ------------------------------------------------------------------------------------


def test_cadre_raises_an_issue_at_their_post(client_for, shaoxing, water, village_cadre):
    answer = client_for(village_cadre).post(
        "/api/v1/issues/",
        {
            "division": "330603008250",
            "category": "water",
            "title": "路灯不亮",
            "reporter_phone": "13900001111",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["tier"] == "village" and body["status"] == "open"
    assert body["reporter_phone"] == "13900001111"
    assert Issue.objects.get(pk=body["id"]).raised_by == village_cadre


def test_bad_issue_input_is_400_and_writes_nothing(client_for, shaoxing, water, village_cadre):
    client = client_for(village_cadre)
    for body, field in [
        ({"division": "330603008250", "category": "nope", "title": "x"}, "category"),
        ({"division": "330603008000", "category": "water", "title": "x"}, "division"),
        ({"division": "330603008250", "category": "water", "title": ""}, "title"),
        (
            {"division": "330603008250", "category": "water", "title": "x", "enterprise": 999},
            "enterprise",
        ),
    ]:
        answer = client.post("/api/v1/issues/", body, format="json")
        assert answer.status_code == 400
        assert field in answer.json()
    assert Issue.objects.count() == 0


def test_raising_outside_ones_posts_is_404_and_by_a_viewer_403(
    client_for, shaoxing, water, village_cadre, county_leader
):
    elsewhere = {"division": "330602002045", "category": "water", "title": "x"}
    assert client_for(village_cadre).post("/api/v1/issues/", elsewhere).status_code == 404
    here = {"division": "330603008250", "category": "water", "title": "x"}
    assert client_for(county_leader).post("/api/v1/issues/", here).status_code == 403
    assert Issue.objects.count() == 0


# Transitions --------------------------------------------------------------------------------


def test_resolve_answers_the_issue_then_409_when_done(client_for, issue, village_cadre):
    client = client_for(village_cadre)
    answer = client.post(f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "已修复"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "resolved"
    assert answer.json()["resolved_tier"] == "village"
    again = client.post(f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "再次"})
    assert again.status_code == 409
    assert set(again.json()) == {"detail"}


def test_resolve_by_someone_who_only_sees_it_is_403(client_for, issue, county_leader):
    answer = client_for(county_leader).post(
        f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "x"}
    )
    assert answer.status_code == 403
    assert Issue.objects.get(pk=issue.pk).status == "open"


def test_escalate_moves_one_tier_and_bad_reason_is_400_writing_nothing(
    client_for, issue, village_cadre
):
    client = client_for(village_cadre)
    bad = client.post(f"/api/v1/issues/{issue.pk}/escalate/", {"reason": "bored"})
    assert bad.status_code == 400 and "reason" in bad.json()
    assert IssueEvent.objects.filter(issue=issue).count() == 1
    ok = client.post(
        f"/api/v1/issues/{issue.pk}/escalate/", {"reason": "beyond_authority", "note": "需镇里协调"}
    )
    assert ok.status_code == 200
    assert ok.json()["tier"] == "town" and ok.json()["holder"] == "330603008000"


def test_escalate_at_city_tier_is_409(client_for, issue, superuser):
    client = client_for(superuser)
    for _ in range(3):
        assert (
            client.post(
                f"/api/v1/issues/{issue.pk}/escalate/", {"reason": "multi_level"}
            ).status_code
            == 200
        )
    answer = client.post(f"/api/v1/issues/{issue.pk}/escalate/", {"reason": "multi_level"})
    assert answer.status_code == 409
    assert Issue.objects.get(pk=issue.pk).tier == Tier.CITY


def test_stale_version_is_409_and_changes_nothing(client_for, issue, village_cadre):
    client = client_for(village_cadre)
    answer = client.post(
        f"/api/v1/issues/{issue.pk}/escalate/",
        {"reason": "beyond_authority", "version": issue.version + 5},
    )
    assert answer.status_code == 409
    assert set(answer.json()) == {"detail"}
    assert Issue.objects.get(pk=issue.pk).tier == Tier.VILLAGE
    current = client.post(
        f"/api/v1/issues/{issue.pk}/escalate/",
        {"reason": "beyond_authority", "version": issue.version},
    )
    assert current.status_code == 200


def test_claim_one_leader_wins_the_other_gets_409(
    client_for, issue, village_cadre, town_office, county_leader, second_county_leader
):
    issue = at_county(issue, village_cadre, town_office)
    first = client_for(county_leader).post(f"/api/v1/issues/{issue.pk}/claim/", {})
    assert first.status_code == 200
    assert first.json()["claimed_by"] == "county_leader"
    second = client_for(second_county_leader).post(f"/api/v1/issues/{issue.pk}/claim/", {})
    assert second.status_code == 409
    assert "detail" in second.json()
    assert Issue.objects.get(pk=issue.pk).claimed_by == county_leader


def test_claim_of_a_claimed_issue_by_the_claimant_is_409(
    client_for, issue, village_cadre, town_office, county_leader
):
    issue = at_county(issue, village_cadre, town_office)
    client = client_for(county_leader)
    assert client.post(f"/api/v1/issues/{issue.pk}/claim/", {}).status_code == 200
    assert client.post(f"/api/v1/issues/{issue.pk}/claim/", {}).status_code == 409


def test_assign_to_a_department_of_the_holder(client_for, issue, village_cadre, town_office):
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    mine = DepartmentFactory(name="农业农村办", division=issue.division.parent)
    theirs = DepartmentFactory(name="别处办", division=issue.division.parent.parent)
    client = client_for(town_office)
    wrong = client.post(f"/api/v1/issues/{issue.pk}/assign/", {"department": theirs.pk})
    assert wrong.status_code == 400 and "department" in wrong.json()
    ok = client.post(f"/api/v1/issues/{issue.pk}/assign/", {"department": mine.pk, "note": "请办"})
    assert ok.status_code == 200
    assert ok.json()["status"] == "assigned" and ok.json()["department"] == mine.pk


def test_return_sends_it_down_once_per_tier(client_for, issue, village_cadre, town_office):
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    client = client_for(town_office)
    assert client.post(f"/api/v1/issues/{issue.pk}/return/", {}).status_code == 400
    ok = client.post(f"/api/v1/issues/{issue.pk}/return/", {"reason": "属村级事务"})
    assert ok.status_code == 200 and ok.json()["tier"] == "village"
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    again = client.post(f"/api/v1/issues/{issue.pk}/return/", {"reason": "再退"})
    assert again.status_code == 409


def test_unsatisfied_feedback_reopens_and_office_may_reopen(
    client_for, issue, village_cadre, town_office
):
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    client = client_for(town_office)
    early = client.post(f"/api/v1/issues/{issue.pk}/feedback/", {"rating": "satisfied"})
    assert early.status_code == 409
    client.post(f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "已协调"})
    bad = client.post(f"/api/v1/issues/{issue.pk}/feedback/", {"rating": "meh"})
    assert bad.status_code == 400
    by_raiser = client_for(village_cadre).post(
        f"/api/v1/issues/{issue.pk}/feedback/", {"rating": "satisfied"}
    )
    assert by_raiser.status_code == 403
    answer = client.post(
        f"/api/v1/issues/{issue.pk}/feedback/",
        {"rating": "unsatisfied", "note": "水还是浑", "via": "visit"},
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "open" and answer.json()["rating"] == "unsatisfied"
    client.post(f"/api/v1/issues/{issue.pk}/resolve/", {"resolution": "换了管子"})
    reopened = client.post(f"/api/v1/issues/{issue.pk}/reopen/", {"note": "复查"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_comment_by_any_viewer_and_empty_comment_is_400(client_for, issue, county_leader):
    client = client_for(county_leader)
    assert client.post(f"/api/v1/issues/{issue.pk}/comment/", {"note": ""}).status_code == 400
    ok = client.post(f"/api/v1/issues/{issue.pk}/comment/", {"note": "请加快"})
    assert ok.status_code == 200
    assert IssueEvent.objects.filter(issue=issue, kind="commented").count() == 1


def test_malformed_json_body_is_400(client_for, issue, village_cadre):
    answer = client_for(village_cadre).post(
        f"/api/v1/issues/{issue.pk}/resolve/", "{not json", content_type="application/json"
    )
    assert answer.status_code == 400


# Filters and exports ------------------------------------------------------------------------


def test_list_filters(client_for, shaoxing, water, village_cadre, town_office, superuser):
    a = IssueFactory(actor=village_cadre, division=shaoxing.lanting_village, title="甲 水管")
    b = IssueFactory(actor=superuser, division=shaoxing.shusheng, title="乙 路灯")
    services.escalate_issue(actor=superuser, issue=b, reason="beyond_authority")
    services.escalate_issue(actor=superuser, issue=b, reason="beyond_authority")
    client = client_for(superuser)

    def ids(query: str) -> set[int]:
        answer = client.get(f"/api/v1/issues/?{query}")
        assert answer.status_code == 200, answer.json()
        return {row["id"] for row in answer.json()["results"]}

    assert ids("tier=county") == {b.pk}
    assert ids("within=330603000000") == {a.pk}
    assert ids("holder=330602000000") == {b.pk}
    assert ids("claimable=true") == {b.pk}
    assert ids("status=open") == {a.pk, b.pk}
    assert ids("category=water") == {a.pk, b.pk}
    assert ids("search=路灯") == {b.pk}
    assert ids("overdue=true") == set()
    assert ids("raised_after=2000-01-01&raised_before=2999-01-01") == {a.pk, b.pk}
    ordered = client.get("/api/v1/issues/?ordering=id").json()["results"]
    assert [r["id"] for r in ordered] == sorted([a.pk, b.pk])
    assert client.get("/api/v1/issues/?within=33").status_code == 400
    assert client.get("/api/v1/issues/?raised_after=yesterday").status_code == 400
    assert client.get("/api/v1/issues/?tier=planet").status_code == 400


def test_issue_list_exports_as_csv_and_xlsx_with_chinese_headers(client_for, issue, village_cadre):
    client = client_for(village_cadre)
    answer = client.get("/api/v1/issues/", HTTP_ACCEPT="text/csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["编号", "标题"]
    assert rows[1][1] == "村口水管破裂"
    xlsx = client.get("/api/v1/issues/?format=xlsx", HTTP_ACCEPT_LANGUAGE="en")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][:2] == ("id", "title")
    assert values[1][1] == "村口水管破裂"


@pytest.mark.parametrize("page_size", [10, 200])
def test_issue_list_runs_a_fixed_number_of_queries(
    page_size, client_for, shaoxing, water, superuser, django_assert_num_queries
):
    for i in range(page_size + 1):
        IssueFactory(actor=superuser, division=shaoxing.lanting_village, title=f"问题{i}")
    client = client_for(superuser)
    # token lookup, count, the page's ids, their rows, their co-handling departments, their
    # files
    with django_assert_num_queries(6):
        answer = client.get(f"/api/v1/issues/?page_size={page_size}")
    assert len(answer.json()["results"]) == page_size


# Statistics ---------------------------------------------------------------------------------


def test_stats_shape_and_figures(client_for, issue, village_cadre):
    services.resolve_issue(actor=village_cadre, issue=issue, resolution="修好了")
    answer = client_for(village_cadre).get("/api/v1/stats/?within=330603000000")
    assert answer.status_code == 200
    body = answer.json()
    assert body["found"] == 1 and body["resolved"] == 1 and body["closure_rate"] == 1.0
    assert set(body["reached"]) == {"town", "county", "city"}
    assert set(body["resolved_by_tier"]) == {"village", "town", "county", "city"}
    assert body["by_category"] == [{"category": "water", "found": 1, "resolved": 1}]


def test_stats_only_count_what_the_caller_sees(client_for, issue, community_cadre):
    body = client_for(community_cadre).get("/api/v1/stats/").json()
    assert body["found"] == 0 and body["closure_rate"] is None


def test_stats_bad_dates_and_unknown_code_are_400(client_for, issue, village_cadre):
    client = client_for(village_cadre)
    assert client.get("/api/v1/stats/?since=2026-13-01").status_code == 400
    assert client.get("/api/v1/stats/?within=999999999999").status_code == 400
    assert client.get("/api/v1/stats/?since=2026-12-01&until=2026-11-01").status_code == 400


def test_stats_as_csv_and_xlsx(client_for, issue, village_cadre):
    client = client_for(village_cadre)
    answer = client.get("/api/v1/stats/?format=csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    with translation.override("zh-hans"):
        found = pgettext("export", "found")
    assert rows[0] == ["指标", "数值"]
    assert [found, "1"] in rows and found != "found"
    xlsx = client.get("/api/v1/stats/?format=xlsx", HTTP_ACCEPT_LANGUAGE="en")
    values = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert ("found", 1) in values


def test_a_path_matching_no_route_under_the_api_answers_json_404(client_for, village_cadre):
    response = client_for(village_cadre).get("/api/v1/issues/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_a_raised_event_has_no_tier_from(client_for, issue, village_cadre):
    """Found by schemathesis: the raised event sent "" where the schema allows a tier or null."""
    events = client_for(village_cadre).get(f"/api/v1/issues/{issue.pk}/events/").json()
    assert (events[0]["kind"], events[0]["tier_from"], events[0]["tier_to"]) == (
        "raised",
        None,
        "village",
    )
