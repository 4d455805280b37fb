"""Territory, people and diary endpoints of API.md: who may read and write, and bad input."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from diaries.models import DiaryEntry
from dispatch.models import Cadre, Enterprise, Membership, Posting
from issues.models import Issue

from ..factories import PostingFactory, credit_code

# Divisions ----------------------------------------------------------------------------------


def test_divisions_filter_by_tier_parent_within_and_search(client_for, shaoxing, village_cadre):
    client = client_for(village_cadre)

    def codes(query):
        answer = client.get(f"/api/v1/divisions/?{query}")
        assert answer.status_code == 200
        return [d["code"] for d in answer.json()["results"]]

    assert codes("tier=city") == ["330600000000"]
    assert codes("parent=330603008000") == ["330603008250", "330603008258"]
    assert codes("within=330603000000&tier=village") == ["330603008250", "330603008258"]
    assert codes("search=书圣") == ["330602002045"]
    assert client.get("/api/v1/divisions/?within=12").status_code == 400
    detail = client.get("/api/v1/divisions/330603008250/").json()
    assert detail == {
        "code": "330603008250",
        "name": "兰亭村",
        "tier": "village",
        "parent": "330603008000",
    }
    assert client.get("/api/v1/divisions/330603008999/").status_code == 404
    assert client_for().get("/api/v1/divisions/").status_code == 401


# Office work --------------------------------------------------------------------------------


def test_non_office_users_get_403_on_office_endpoints(client_for, village_cadre):
    client = client_for(village_cadre)
    for path in ["enterprises", "departments", "cadres", "postings", "memberships"]:
        assert client.get(f"/api/v1/{path}/").status_code == 403


def test_office_creates_an_enterprise_in_its_subtree_only(client_for, shaoxing, town_office):
    client = client_for(town_office)
    code = credit_code("91330603MA2000777")
    ok = client.post(
        "/api/v1/enterprises/",
        {"name": "兰亭纺织", "credit_code": code, "division": "330603008250"},
    )
    assert ok.status_code == 201, ok.json()
    assert set(ok.json()) == {"id", "name", "credit_code", "division"}
    elsewhere = client.post(
        "/api/v1/enterprises/",
        {
            "name": "越城纺织",
            "credit_code": credit_code("91330602MA2000778"),
            "division": "330602002045",
        },
    )
    assert elsewhere.status_code == 400 and "division" in elsewhere.json()
    bad_code = client.post(
        "/api/v1/enterprises/",
        {"name": "x", "credit_code": code[:-1] + "0", "division": "330603008250"},
    )
    assert bad_code.status_code == 400 and "credit_code" in bad_code.json()
    assert Enterprise.objects.count() == 1


def test_office_creates_a_department_at_a_town_not_a_village(client_for, shaoxing, town_office):
    client = client_for(town_office)
    ok = client.post("/api/v1/departments/", {"name": "综合信息指挥室", "division": "330603008000"})
    assert ok.status_code == 201
    village = client.post("/api/v1/departments/", {"name": "x", "division": "330603008250"})
    assert village.status_code == 400 and "division" in village.json()
    twice = client.post(
        "/api/v1/departments/", {"name": "综合信息指挥室", "division": "330603008000"}
    )
    assert twice.status_code == 400


def test_creating_a_cadre_creates_a_login_and_never_echoes_the_password(
    client_for, shaoxing, town_office
):
    client = client_for(town_office)
    answer = client.post(
        "/api/v1/cadres/",
        {
            "username": "zhang_san",
            "name": "张三",
            "phone": "13900000000",
            "agency": "区农业农村局",
            "password": "Lanting-2026-visit",
        },
    )
    assert answer.status_code == 201, answer.json()
    assert set(answer.json()) == {"id", "username", "name", "phone", "agency"}
    assert get_user_model().objects.get(username="zhang_san").check_password("Lanting-2026-visit")
    weak = client.post("/api/v1/cadres/", {"username": "li_si", "name": "李四", "password": "123"})
    assert weak.status_code == 400 and "password" in weak.json()
    taken = client.post(
        "/api/v1/cadres/", {"username": "zhang_san", "name": "x", "password": "Lanting-2026-x"}
    )
    assert taken.status_code == 400 and "username" in taken.json()
    assert Cadre.objects.count() == 1


def test_postings_create_patch_and_coverage(client_for, shaoxing, town_office, other_town_office):
    client = client_for(town_office)
    cadre = client.post(
        "/api/v1/cadres/", {"username": "wang", "name": "王五", "password": "Lanting-2026-wang"}
    ).json()
    answer = client.post(
        "/api/v1/postings/",
        {
            "cadre": cadre["id"],
            "kind": "village",
            "division": "330603008250",
            "started_on": "2026-01-01",
            "duties": ["走访农户"],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    posting = answer.json()
    assert posting["enterprise"] is None and posting["duties"] == ["走访农户"]
    patched = client.patch(
        f"/api/v1/postings/{posting['id']}/", {"ended_on": "2025-01-01"}, format="json"
    )
    assert patched.status_code == 400 and "ended_on" in patched.json()
    patched = client.patch(
        f"/api/v1/postings/{posting['id']}/", {"ended_on": "2026-12-31"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["ended_on"] == "2026-12-31"
    coverage = client.get("/api/v1/postings/coverage/?division=330603008000").json()
    assert coverage == {
        "division": "330603008000",
        "villages": 2,
        "covered": 1,
        "uncovered": ["330603008258"],
    }
    assert client.get("/api/v1/postings/coverage/?division=x").status_code == 400
    other = client_for(other_town_office)
    assert other.get("/api/v1/postings/coverage/?division=330603008000").status_code == 404
    assert other.get(f"/api/v1/postings/{posting['id']}/").status_code == 404
    assert other.patch(f"/api/v1/postings/{posting['id']}/", {}).status_code == 404


def test_memberships_only_below_ones_own_office(
    client_for, shaoxing, county_office, superuser, outsider
):
    client = client_for(county_office)
    ok = client.post(
        "/api/v1/memberships/",
        {"user": "outsider", "division": "330603008000", "role": "office"},
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["user"] == "outsider"
    own = client.post(
        "/api/v1/memberships/", {"user": "outsider", "division": "330603000000", "role": "office"}
    )
    assert own.status_code == 400
    leader_at_town = client_for(superuser).post(
        "/api/v1/memberships/", {"user": "outsider", "division": "330603008000", "role": "leader"}
    )
    assert leader_at_town.status_code == 400
    anywhere = client_for(superuser).post(
        "/api/v1/memberships/", {"user": "outsider", "division": "330602000000", "role": "leader"}
    )
    assert anywhere.status_code == 201
    assert Membership.objects.filter(user=outsider).count() == 2


# Diaries ------------------------------------------------------------------------------------


@pytest.fixture
def posting(village_cadre):
    return Posting.objects.get(cadre__user=village_cadre)


def diary(posting, **extra):
    return {
        "posting": posting.pk,
        "kind": "people",
        "visited_on": "2026-11-20",
        "households_visited": 6,
        "summary": "走访六户，听取意见",
        **extra,
    }


def test_diary_entry_raises_its_issues_at_the_post(client_for, water, posting, village_cadre):
    body = diary(
        posting,
        issues=[
            {"title": "村口水管漏水", "category": "water", "reporter_phone": "13812345678"},
            {
                "title": "垃圾未清运",
                "category": "water",
                "resolved_on_spot": True,
                "resolution": "已联系保洁",
            },
        ],
    )
    answer = client_for(village_cadre).post("/api/v1/diaries/", body, format="json")
    assert answer.status_code == 201, answer.json()
    entry = answer.json()
    assert len(entry["issues"]) == 2 and entry["author"] == "village_cadre"
    issues = Issue.objects.filter(pk__in=entry["issues"]).order_by("id")
    assert [i.division_id for i in issues] == ["330603008250", "330603008250"]
    assert [i.status for i in issues] == ["open", "resolved"]
    assert str(issues[0].raised_on) == "2026-11-20"


def test_one_bad_issue_rejects_the_whole_entry_with_errors_per_issue(
    client_for, water, posting, village_cadre
):
    body = diary(
        posting,
        issues=[
            {"title": "好的问题", "category": "water"},
            {"title": "坏的问题", "category": "nope"},
            {"title": "", "category": "water"},
        ],
    )
    answer = client_for(village_cadre).post("/api/v1/diaries/", body, format="json")
    assert answer.status_code == 400
    errors = answer.json()["issues"]
    assert errors[0] == {} and "category" in errors[1] and "title" in errors[2]
    assert DiaryEntry.objects.count() == 0 and Issue.objects.count() == 0


def test_only_the_postings_own_cadre_writes_its_diary(client_for, water, posting, town_office):
    answer = client_for(town_office).post("/api/v1/diaries/", diary(posting), format="json")
    assert answer.status_code == 400 and "posting" in answer.json()
    future = client_for(posting.cadre.user).post(
        "/api/v1/diaries/", diary(posting, visited_on="2999-01-01"), format="json"
    )
    assert future.status_code == 400 and "visited_on" in future.json()
    assert DiaryEntry.objects.count() == 0


def test_diary_list_filters_and_jurisdiction(
    client_for, water, posting, village_cadre, community_cadre, town_office
):
    client_for(village_cadre).post("/api/v1/diaries/", diary(posting), format="json")
    office = client_for(town_office)
    assert office.get("/api/v1/diaries/?author=village_cadre").json()["count"] == 1
    assert office.get("/api/v1/diaries/?author=nobody").json()["count"] == 0
    assert office.get("/api/v1/diaries/?within=330603008000").json()["count"] == 1
    assert office.get("/api/v1/diaries/?since=2026-11-21").json()["count"] == 0
    assert office.get("/api/v1/diaries/?until=2026-11-20").json()["count"] == 1
    assert office.get("/api/v1/diaries/?since=someday").status_code == 400
    assert client_for(community_cadre).get("/api/v1/diaries/").json()["count"] == 0


@pytest.mark.parametrize("page_size", [10, 200])
def test_diary_list_runs_a_fixed_number_of_queries(
    page_size, client_for, water, superuser, django_assert_num_queries
):
    from diaries.services import log_diary_entry

    posting = PostingFactory(cadre__user=superuser)
    for i in range(page_size + 1):
        log_diary_entry(
            actor=superuser,
            posting=posting,
            kind="people",
            visited_on=posting.started_on,
            households_visited=i,
            summary=f"走访{i}",
            issues=[{"title": f"问题{i}", "category": "water"}],
        )
    client = client_for(superuser)
    # token lookup, count, page, the page's issue ids, duties, households and enterprises
    with django_assert_num_queries(7):
        answer = client.get(f"/api/v1/diaries/?page_size={page_size}")
    assert len(answer.json()["results"]) == page_size
    assert all(len(row["issues"]) == 1 for row in answer.json()["results"])
