"""The diary pages: logging an entry with its issues, all or nothing, and reading entries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from diaries.models import DiaryEntry
from diaries.services import log_diary_entry
from dispatch.models import Posting
from issues.models import Issue, IssueEvent

from ..factories import DEFAULT_PASSWORD, CategoryFactory, PostingFactory


@pytest.fixture
def categories(db):
    return [
        CategoryFactory(code="water", name_zh="供水", name_en="Water supply"),
        CategoryFactory(code="roads", name_zh="道路", name_en="Roads"),
    ]


@pytest.fixture
def cadre_client(client, village_cadre):
    client.force_login(village_cadre)
    return client


def entry_data(posting: Posting, issues: list[dict], **overrides) -> dict:
    data = {
        "posting": str(posting.pk),
        "kind": "people",
        "visited_on": timezone.localdate().isoformat(),
        "households_visited": "6",
        "summary": "走访六户，听取村民对供水和道路的意见。",
        "issues-TOTAL_FORMS": str(len(issues)),
        "issues-INITIAL_FORMS": "0",
        "issues-MIN_NUM_FORMS": "0",
        "issues-MAX_NUM_FORMS": "1000",
    }
    for i, issue in enumerate(issues):
        for key, value in issue.items():
            data[f"issues-{i}-{key}"] = value
    data.update(overrides)
    return data


TWO_ISSUES = [
    {
        "title": "自来水水压不足",
        "description": "村东片区早晚高峰水压低。",
        "category": "water",
        "reporter_name": "王大伯",
        "reporter_phone": "13812345678",
    },
    {
        "title": "村口路灯不亮",
        "category": "roads",
        "resolved_on_spot": "on",
        "resolution": "联系电工当场更换灯泡。",
    },
]


def test_login_page_logs_a_cadre_in_and_lands_on_home(client, village_cadre):
    response = client.post(
        reverse("login"), {"username": "village_cadre", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_pages_send_anonymous_visitors_to_login(client, db):
    for url in (reverse("home"), reverse("diaries:new"), reverse("diaries:list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_logout_is_a_post_and_returns_to_login(cadre_client):
    response = cadre_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert cadre_client.get(reverse("home")).status_code == 302


def test_single_posting_is_preselected(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    form = cadre_client.get(reverse("diaries:new")).context["form"]
    assert form["posting"].value() == posting.pk
    assert form["kind"].value() == "people"


def test_diary_with_two_issues_is_saved_with_both(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    response = cadre_client.post(reverse("diaries:new"), entry_data(posting, TWO_ISSUES))

    entry = DiaryEntry.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("diaries:detail", args=[entry.pk]) + "?saved=1"
    assert entry.author == village_cadre
    assert entry.households_visited == 6
    water, light = entry.issues.order_by("pk")
    assert water.title == "自来水水压不足"
    assert water.status == Issue.Status.OPEN
    assert water.reporter_phone == "13812345678"
    assert water.raised_on == entry.visited_on
    assert light.status == Issue.Status.RESOLVED
    assert light.resolved_on_spot
    assert light.events.filter(kind=IssueEvent.Kind.RESOLVED_ON_SPOT).exists()

    page = cadre_client.get(response.url)
    assert "自来水水压不足" in page.text
    assert reverse("issues:detail", args=[water.pk]) in page.text


def test_missing_summary_shows_the_error_and_writes_nothing(
    cadre_client, village_cadre, categories
):
    posting = village_cadre.cadre.postings.get()
    response = cadre_client.post(
        reverse("diaries:new"), entry_data(posting, TWO_ISSUES, summary="")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["summary"]
    # The rows come back as typed, so nothing has to be entered again.
    assert "自来水水压不足" in response.text
    assert DiaryEntry.objects.count() == 0
    assert Issue.objects.count() == 0


def test_one_issue_without_a_title_rejects_the_whole_entry(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    issues = [TWO_ISSUES[0], {**TWO_ISSUES[1], "title": ""}]
    response = cadre_client.post(reverse("diaries:new"), entry_data(posting, issues))
    assert response.status_code == 400
    formset = response.context["formset"]
    assert not formset.forms[0].errors
    assert formset.forms[1].errors["title"]
    assert DiaryEntry.objects.count() == 0
    assert Issue.objects.count() == 0


def test_resolved_on_spot_without_resolution_is_an_error_beside_the_field(
    cadre_client, village_cadre, categories
):
    posting = village_cadre.cadre.postings.get()
    issues = [{**TWO_ISSUES[1], "resolution": ""}]
    response = cadre_client.post(reverse("diaries:new"), entry_data(posting, issues))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["resolution"]
    assert Issue.objects.count() == 0


def test_service_errors_land_beside_the_entry_fields(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    before_term = (posting.started_on - datetime.timedelta(days=1)).isoformat()
    response = cadre_client.post(
        reverse("diaries:new"), entry_data(posting, TWO_ISSUES, visited_on=before_term)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["visited_on"]
    assert DiaryEntry.objects.count() == 0
    assert Issue.objects.count() == 0


def test_an_added_row_left_blank_is_ignored(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    issues = [TWO_ISSUES[0], {"title": "", "category": ""}]
    response = cadre_client.post(reverse("diaries:new"), entry_data(posting, issues))
    assert response.status_code == 302
    assert DiaryEntry.objects.get().issues.count() == 1


def test_a_row_marked_for_removal_is_not_raised(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    issues = [TWO_ISSUES[0], {**TWO_ISSUES[1], "DELETE": "on"}]
    response = cadre_client.post(reverse("diaries:new"), entry_data(posting, issues))
    assert response.status_code == 302
    assert list(Issue.objects.values_list("title", flat=True)) == ["自来水水压不足"]


def test_someone_elses_posting_cannot_be_chosen(
    cadre_client, community_cadre, categories, village_cadre
):
    other = community_cadre.cadre.postings.get()
    response = cadre_client.post(reverse("diaries:new"), entry_data(other, TWO_ISSUES))
    assert response.status_code == 400
    assert response.context["form"].errors["posting"]
    assert DiaryEntry.objects.count() == 0


def test_garbage_input_is_a_form_error_not_a_crash(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    data = entry_data(
        posting,
        [{**TWO_ISSUES[0], "category": "no-such"}],
        households_visited="many",
        visited_on="yesterday",
    )
    data["issues-TOTAL_FORMS"] = "x"
    response = cadre_client.post(reverse("diaries:new"), data)
    assert response.status_code == 400
    assert DiaryEntry.objects.count() == 0


def test_user_without_posting_is_sent_home_from_the_diary_form(client, town_office):
    client.force_login(town_office)
    response = client.get(reverse("diaries:new"))
    assert response.status_code == 302
    assert response.url == reverse("home")


def _entry(user, n: int = 0, issues=None):
    posting = user.cadre.postings.get()
    return log_diary_entry(
        actor=user,
        posting=posting,
        kind="people",
        visited_on=timezone.localdate() - datetime.timedelta(days=n),
        households_visited=n,
        summary=f"第{n}次走访",
        issues=issues or [],
    )


def test_diary_list_shows_visible_entries_newest_first(
    cadre_client, village_cadre, community_cadre, categories
):
    _entry(village_cadre, 3)
    _entry(village_cadre, 1)
    _entry(community_cadre, 0)
    page = cadre_client.get(reverse("diaries:list")).context["page"]
    assert [e.summary for e in page.object_list] == ["第1次走访", "第3次走访"]


def test_diary_list_is_paginated(cadre_client, village_cadre, categories):
    for n in range(23):
        _entry(village_cadre, n)
    first = cadre_client.get(reverse("diaries:list"))
    second = cadre_client.get(reverse("diaries:list") + "?page=2")
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 3
    assert cadre_client.get(reverse("diaries:list") + "?page=zzz").status_code == 200


def test_entry_of_another_posting_is_not_found(cadre_client, community_cadre, categories):
    entry = _entry(community_cadre)
    assert cadre_client.get(reverse("diaries:detail", args=[entry.pk])).status_code == 404


def test_home_lists_postings_overdue_issues_first_and_recent_entries(
    cadre_client, village_cadre, categories
):
    _entry(village_cadre, 2, [{"title": "新问题", "category": "water"}])
    late = _entry(village_cadre, 1, [{"title": "逾期问题", "category": "roads"}]).issues.get()
    Issue.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))

    response = cadre_client.get(reverse("home"))
    assert [i.title for i in response.context["issues"]] == ["逾期问题", "新问题"]
    assert 'class="light red"' in response.text
    assert 'class="light green"' in response.text
    assert "兰亭村" in response.text
    assert len(response.context["entries"]) == 2


def test_home_runs_the_same_queries_whatever_the_number_of_issues(
    client, village_cadre, categories, query_budget
):
    client.force_login(village_cadre)
    _entry(village_cadre, 1, [{"title": "问题一", "category": "water"}])
    client.get(reverse("home"))  # warm the session
    with query_budget.measure():
        client.get(reverse("home"))
    assert query_budget.count <= 12
    for n in range(2, 8):
        _entry(village_cadre, n, [{"title": f"问题{n}", "category": "roads"}] * 2)
    with query_budget.same():
        response = client.get(reverse("home"))
    assert len(response.context["issues"]) == 13


def test_office_member_home_links_to_the_admin(client, town_office):
    client.force_login(town_office)
    response = client.get(reverse("home"))
    assert reverse("admin:index") in response.text
    assert 'class="button" href="/board/"' not in response.text


def test_leader_home_links_to_the_claim_board(client, county_leader):
    client.force_login(county_leader)
    assert 'class="button" href="/board/"' in client.get(reverse("home")).text


def test_cadre_with_two_postings_chooses_one(client, village_cadre, shaoxing, categories):
    PostingFactory(cadre=village_cadre.cadre, division=shaoxing.xiejiawu)
    client.force_login(village_cadre)
    form = client.get(reverse("diaries:new")).context["form"]
    assert form["posting"].value() is None
    assert len(form.fields["posting"].choices) == 3


def test_a_title_over_the_limit_is_refused_in_plain_words_not_cut(
    cadre_client, village_cadre, categories
):
    page = cadre_client.get(reverse("diaries:new")).text
    assert "maxlength" not in page and "<form" in page and "novalidate" in page
    posting = village_cadre.cadre.postings.get()
    issue = dict(TWO_ISSUES[0], title="长" * 201)
    response = cadre_client.post(reverse("diaries:new"), entry_data(posting, [issue]))
    assert response.status_code == 400
    assert "最多 200 个字，现有 201 个字。" in response.text
    assert "确保" not in response.text
    assert not DiaryEntry.objects.exists()


def test_a_missing_field_reads_in_the_projects_words(cadre_client, village_cadre, categories):
    posting = village_cadre.cadre.postings.get()
    response = cadre_client.post(
        reverse("diaries:new"), entry_data(posting, [dict(TWO_ISSUES[0], title="")])
    )
    assert "此项必填。" in response.text and "这个字段是必填项" not in response.text
