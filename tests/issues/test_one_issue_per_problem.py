"""One problem, one issue (一事一件): similar open issues are suggested when raising one, a
further report can be added to an issue instead of raising another, and offices merge the
duplicates; every reporter of a merged group hears the answer and statistics count the
problem once."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from common.errors import NotPermitted, TransitionError
from issues import services
from issues.models import Issue, IssueEvent, IssueReport
from issues.selectors import stats

from ..factories import CategoryFactory, IssueFactory
from ..residents.conftest import messages_in


@pytest.fixture
def water(db):
    return CategoryFactory(code="water")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def pair(shaoxing, village_cadre, water):
    """The same construction noise heard in two villages of 兰亭街道."""
    first = services.raise_issue(
        actor=None,
        division=shaoxing.lanting_village,
        category=water,
        title="工地夜间施工噪音扰民",
        reporter_name="王大伯",
        reporter_phone="13812345678",
    )
    second = services.raise_issue(
        actor=None,
        division=shaoxing.xiejiawu,
        category=water,
        title="工地夜间施工噪音太大",
        reporter_name="李阿姨",
        reporter_phone="13912345678",
    )
    return first, second


def test_similar_open_issues_of_the_town_are_suggested(shaoxing, pair, water, village_cadre):
    first, second = pair
    IssueFactory(division=shaoxing.lanting_village, category=water, title="路灯不亮")
    other = CategoryFactory(code="road")
    IssueFactory(division=shaoxing.lanting_village, category=other, title="工地夜间施工噪音")
    found = Issue.objects.all().similar_to(
        division=shaoxing.lanting_village.code, category=water, title="夜间工地施工噪音"
    )
    assert {i.pk for i in found} == {first.pk, second.pk}
    assert all(0 < i.similarity <= 1 for i in found)


def test_similar_leaves_out_other_towns_resolved_and_old_issues(shaoxing, water, time_machine):
    time_machine.move_to("2026-09-01 10:00 +08:00")
    IssueFactory(division=shaoxing.lanting_village, category=water, title="工地夜间施工噪音")
    time_machine.move_to("2026-11-20 10:00 +08:00")
    IssueFactory(division=shaoxing.shusheng, category=water, title="工地夜间施工噪音")
    done = IssueFactory(division=shaoxing.lanting_village, category=water, title="工地夜间施工噪音")
    services.resolve_issue(actor=None, issue=done, resolution="已停工")
    assert (
        Issue.objects.all().similar_to(
            division=shaoxing.xiejiawu.code, category=water, title="工地夜间施工噪音"
        )
        == []
    )


def test_the_api_suggests_only_visible_issues(shaoxing, pair, village_cadre, community_cadre):
    query = {
        "division": shaoxing.lanting_village.code,
        "category": "water",
        "title": "工地夜间噪音",
    }
    answer = api(village_cadre).get("/api/v1/issues/similar/", query)
    assert answer.status_code == 200
    assert answer.json()[0]["id"] == pair[0].pk
    assert set(answer.json()[0]) == {"id", "title", "division", "raised_on", "similarity"}
    assert api(community_cadre).get("/api/v1/issues/similar/", query).json() == []
    bad = api(village_cadre).get("/api/v1/issues/similar/", {**query, "category": "nope"})
    assert bad.status_code == 400


def test_a_cadre_adds_a_report_instead_of_raising_another(shaoxing, pair, village_cadre):
    first, _second = pair
    answer = api(village_cadre).post(
        f"/api/v1/issues/{first.pk}/report_again/",
        {"division": shaoxing.lanting_village.code, "reporter_name": "赵师傅"},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert Issue.objects.count() == 2
    [report] = IssueReport.objects.filter(issue=first)
    assert report.reporter_name == "赵师傅" and report.raised_by == village_cadre
    assert first.events.filter(kind=IssueEvent.Kind.REPORTED_AGAIN).exists()
    assert stats(Issue.objects.all())["reports"] == 3


def test_an_office_holding_both_merges_and_the_timelines_point_to_each_other(
    pair, town_office, village_cadre
):
    first, second = pair
    answer = api(town_office).post(
        f"/api/v1/issues/{second.pk}/merge/", {"into": first.pk}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["id"] == first.pk
    second.refresh_from_db()
    assert second.status == Issue.Status.MERGED and second.merged_into_id == first.pk
    events = api(town_office).get(f"/api/v1/issues/{second.pk}/events/").json()
    assert events[-1]["kind"] == "merged" and events[-1]["related_issue"] == first.pk
    assert first.events.filter(kind="merged", related_issue=second).exists()
    # A merged issue is closed to every transition but talk; it left the to-do lists.
    with pytest.raises(TransitionError):
        services.resolve_issue(actor=None, issue=second, resolution="x")
    assert second.pk not in Issue.objects.unresolved().values_list("pk", flat=True)
    again = api(town_office).post(
        f"/api/v1/issues/{second.pk}/merge/", {"into": first.pk}, format="json"
    )
    assert again.status_code == 409


def test_only_an_office_holding_both_merges(pair, village_cadre, other_town_office):
    first, second = pair
    with pytest.raises(NotPermitted):
        services.merge_issue(actor=village_cadre, issue=second, into=first)
    answer = api(other_town_office).post(
        f"/api/v1/issues/{second.pk}/merge/", {"into": first.pk}, format="json"
    )
    assert answer.status_code == 404
    assert Issue.objects.get(pk=second.pk).status == Issue.Status.OPEN


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager")
def test_every_reporter_of_a_merged_group_hears_the_answer(
    settings, tmp_path, shaoxing, water, town_office, village_cadre
):
    settings.SMS_BACKEND = "filebased"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SITE_URL = "http://testserver"
    first, second = (
        services.raise_issue(
            actor=None,
            division=village,
            category=water,
            title="工地夜间施工噪音",
            reporter_phone=phone,
        )
        for village, phone in (
            (shaoxing.lanting_village, "13812345678"),
            (shaoxing.xiejiawu, "13912345678"),
        )
    )
    services.report_again(
        actor=village_cadre,
        issue=first,
        division=shaoxing.lanting_village,
        reporter_phone="13712345678",
    )
    services.merge_issue(actor=town_office, issue=second, into=first)
    before = len(messages_in(tmp_path / "sms"))
    services.escalate_issue(actor=village_cadre, issue=first, reason="beyond_authority")
    services.resolve_issue(actor=town_office, issue=first, resolution="已协调夜间停工")
    answers = messages_in(tmp_path / "sms")[before:]
    assert sorted(phone for phone, _ in answers) == ["13712345678", "13812345678", "13912345678"]
    assert all("已协调夜间停工" in text and f"{first.pk}" in text for _, text in answers)


def test_stats_count_a_merged_group_once_and_its_reports_separately(
    pair, town_office, village_cadre
):
    first, second = pair
    services.merge_issue(actor=town_office, issue=second, into=first)
    figures = stats(Issue.objects.all())
    assert figures["found"] == 1 and figures["open"] == 1
    assert figures["reports"] == 2
    assert figures["by_category"] == [{"category": "water", "found": 1, "resolved": 0}]
    services.resolve_issue(actor=village_cadre, issue=first, resolution="已处理")
    figures = stats(Issue.objects.all())
    assert figures["found"] == 1 and figures["resolved"] == 1 and figures["closure_rate"] == 1.0
    answer = api(town_office).get("/api/v1/stats/", {"within": "330603008000"})
    assert answer.json()["found"] == 1 and answer.json()["reports"] == 2
    sheet = api(town_office).get(
        "/api/v1/stats/", {"within": "330603008000", "format": "csv"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    rows = sheet.content.decode("utf-8-sig").splitlines()
    assert "found,1" in rows and "reports,2" in rows


def test_a_merged_issues_reporter_follows_the_survivor(client, pair, town_office):
    from issues.tracking import make_token
    from residents.services import find_issue

    first, second = pair
    services.merge_issue(actor=town_office, issue=second, into=first)
    page = client.get(f"/r/{make_token(second.pk)}/")
    assert page.status_code == 302
    assert client.get(page.url).status_code == 200
    assert page.url == f"/r/{make_token(first.pk)}/"
    # Looked up by the number they were given and their phone's last digits.
    assert find_issue(str(second.pk), "5678") == first
    assert find_issue(str(first.pk), "5678") == first
    assert find_issue(str(second.pk), "0000") is None
