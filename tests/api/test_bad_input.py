"""Bad input on the API and the pages: a clear 400 with the field's error, never a 500, and
nothing written."""

from __future__ import annotations

import pytest

from diaries.models import DiaryEntry
from dispatch.models import Posting
from issues import services
from issues.models import Issue

from ..factories import IssueFactory


@pytest.fixture
def posting(village_cadre):
    return Posting.objects.get(cadre__user=village_cadre)


def diary(posting, **extra):
    return {
        "posting": posting.pk,
        "kind": "people",
        "visited_on": "2026-11-20",
        "households_visited": 6,
        "summary": "走访六户",
        **extra,
    }


# Filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("issues", "holder", "3306"),
        ("issues", "holder", "abcdefghijkl"),
        ("issues", "within", "12"),
        ("issues", "overdue", "maybe"),
        ("issues", "claimable", "sometimes"),
        ("diaries", "within", "xx"),
        ("divisions", "within", "12"),
        ("divisions", "parent", "33060"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_the_field(
    client_for, shaoxing, superuser, path, field, value
):
    answer = client_for(superuser).get(f"/api/v1/{path}/", {field: value})
    assert answer.status_code == 400
    body = answer.json()
    assert isinstance(body, dict) and list(body) == [field]
    assert isinstance(body[field], list) and body[field][0]


def test_well_formed_filters_still_filter(client_for, shaoxing, superuser, water):
    IssueFactory(division=shaoxing.lanting_village, category=water)
    client = client_for(superuser)
    assert client.get("/api/v1/issues/?holder=330603008250").json()["count"] == 1
    assert client.get("/api/v1/issues/?overdue=false").json()["count"] == 1
    assert client.get("/api/v1/issues/?overdue=true").json()["count"] == 0
    assert client.get("/api/v1/issues/?overdue=").json()["count"] == 1


# Long text ----------------------------------------------------------------------------------


def test_a_description_beyond_its_limit_is_refused_everywhere(
    client_for, shaoxing, village_cadre, water
):
    answer = client_for(village_cadre).post(
        "/api/v1/issues/",
        {
            "division": "330603008250",
            "category": "water",
            "title": "水管",
            "description": "漏" * 100_000,
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "5000" in answer.json()["description"][0]
    with pytest.raises(services.ValidationError) as raised:
        services.raise_issue(
            actor=village_cadre,
            division=shaoxing.lanting_village,
            category=water,
            title="水管",
            description="漏" * 5001,
        )
    assert "description" in raised.value.message_dict
    assert Issue.objects.count() == 0


# Diaries ------------------------------------------------------------------------------------


def test_101_issues_in_one_diary_give_one_clear_error(client_for, posting, village_cadre, water):
    issues = [{"title": f"问题{i}", "category": "water"} for i in range(101)]
    answer = client_for(village_cadre).post(
        "/api/v1/diaries/", diary(posting, issues=issues), format="json"
    )
    assert answer.status_code == 400
    errors = answer.json()["issues"]
    assert len(errors) == 1 and isinstance(errors[0], str) and "100" in errors[0]
    assert DiaryEntry.objects.count() == 0 and Issue.objects.count() == 0


def test_the_diary_service_refuses_more_than_100_issues(posting, village_cadre, water):
    from diaries.services import log_diary_entry

    with pytest.raises(services.ValidationError) as raised:
        log_diary_entry(
            actor=village_cadre,
            posting=posting,
            kind="people",
            visited_on=posting.started_on,
            households_visited=1,
            summary="走访",
            issues=[{"title": f"问题{i}", "category": "water"} for i in range(101)],
        )
    assert raised.value.message_dict["issues"] == ["一篇日记最多记录 100 个问题。"]
    assert Issue.objects.count() == 0


def test_an_enterprise_diary_on_a_village_posting_is_refused(client_for, posting, village_cadre):
    answer = client_for(village_cadre).post(
        "/api/v1/diaries/", diary(posting, kind="enterprise"), format="json"
    )
    assert answer.status_code == 400 and "kind" in answer.json()
    assert DiaryEntry.objects.count() == 0


def test_a_peoples_diary_on_an_enterprise_posting_is_refused(client_for, enterprise_cadre):
    posting = Posting.objects.get(cadre__user=enterprise_cadre)
    client = client_for(enterprise_cadre)
    answer = client.post("/api/v1/diaries/", diary(posting, kind="people"), format="json")
    assert answer.status_code == 400 and "kind" in answer.json()
    ok = client.post("/api/v1/diaries/", diary(posting, kind="enterprise"), format="json")
    assert ok.status_code == 201, ok.json()


def test_the_diary_page_refuses_an_enterprise_diary_on_a_village_posting(
    client, posting, village_cadre, water
):
    client.force_login(village_cadre)
    answer = client.post(
        "/diaries/new/",
        {
            "posting": str(posting.pk),
            "kind": "enterprise",
            "visited_on": posting.started_on.isoformat(),
            "households_visited": "3",
            "summary": "走访三户",
            "issues-TOTAL_FORMS": "0",
            "issues-INITIAL_FORMS": "0",
        },
    )
    assert answer.status_code in (200, 400)
    assert "企情日记只能在驻企派驻下填写" in answer.content.decode()
    assert DiaryEntry.objects.count() == 0


# NUL bytes ----------------------------------------------------------------------------------


def test_a_nul_byte_in_a_json_body_is_a_400(client_for, posting, village_cadre, water):
    body = diary(
        posting, summary="走访\x00六户", issues=[{"title": "水\x00管", "category": "water"}]
    )
    answer = client_for(village_cadre).post("/api/v1/diaries/", body, format="json")
    assert answer.status_code == 400
    assert DiaryEntry.objects.count() == 0


def test_a_nul_byte_on_a_page_is_a_400(client, village_cadre, water):
    client.force_login(village_cadre)
    assert client.get("/issues/", {"status": "open\x00"}).status_code == 400
    answer = client.post("/diaries/new/", {"summary": "走访\x00", "kind": "people"})
    assert answer.status_code == 400
    assert DiaryEntry.objects.count() == 0


@pytest.mark.postgres
def test_a_nul_byte_reaching_postgresql_is_a_400_not_a_500(client_for, client, superuser, water):
    # PostgreSQL refuses NUL in any text it is given: a search, an admin query, an Open311 code.
    api = client_for(superuser)
    assert api.get("/api/v1/issues/", {"search": "水\x00"}).status_code == 400
    assert api.get("/api/v1/issues/", {"category": "wa\x00ter"}).status_code == 400
    client.force_login(superuser)
    assert client.get("/admin/issues/issue/", {"q": "水\x00"}).status_code == 400
    assert client.get("/open311/v2/requests.json", {"service_code": "w\x00"}).status_code == 400


def test_a_multipart_body_without_its_boundary_is_a_400(client_for, client, village_cadre, water):
    """Found by schemathesis: the body could not be parsed and the answer was a 500."""
    issue = IssueFactory(actor=village_cadre, category="water")
    api = client_for(village_cadre)
    answer = api.post(
        f"/api/v1/issues/{issue.pk}/comment/", data="note=x", content_type="multipart/form-data"
    )
    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()
    client.force_login(village_cadre)
    page = client.post(
        f"/issues/{issue.pk}/comment/", data="comment-note=x", content_type="multipart/form-data"
    )
    assert page.status_code == 400
    assert not issue.events.filter(kind="commented").exists()
