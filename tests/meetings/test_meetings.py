"""The town's weekly analysis meeting: convening, deciding items, closing."""

from __future__ import annotations

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from common.errors import NotFound, NotPermitted, TransitionError
from dispatch.models import Tier
from issues.models import Issue, IssueEvent
from issues.services import resolve_issue
from meetings.models import AgendaItem, Meeting
from meetings.services import (
    close_meeting,
    convene_meeting,
    convene_meetings,
    decide_agenda_item,
)
from meetings.tasks import convene_meetings_task

from ..issues.offices import issue_at_county, issue_at_town, issue_at_village, town_department

WEEK = "2026-W48"
LANTING = "330603008000"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def item_for(meeting: Meeting, issue: Issue) -> AgendaItem:
    return meeting.items.get(issue=issue)


@pytest.fixture
def agenda(village_cadre, town_office):
    """Three issues held by 兰亭街道, one still at the village, one resolved, one at county."""
    held = [issue_at_town(village_cadre, f"镇级问题{n}") for n in range(3)]
    at_village = issue_at_village(village_cadre, "村里自己办")
    resolved = issue_at_town(village_cadre, "已经办结的")
    resolve_issue(actor=town_office, issue=resolved, resolution="已修复")
    at_county = issue_at_county(village_cadre, town_office, "已上交县里")
    return {"held": held, "at_village": at_village, "resolved": resolved, "at_county": at_county}


@pytest.fixture
def meeting(agenda, shaoxing):
    return convene_meeting(town=shaoxing.lanting, week=WEEK)


# Convening ----------------------------------------------------------------------------------


def test_agenda_is_every_unresolved_issue_the_town_holds(agenda, meeting):
    assert set(meeting.items.values_list("issue_id", flat=True)) == {i.pk for i in agenda["held"]}
    assert all(item.new for item in meeting.items.all())


def test_convening_twice_gives_one_meeting_and_one_agenda(agenda, meeting, shaoxing):
    again = convene_meeting(town=shaoxing.lanting, week=WEEK)
    assert again.pk == meeting.pk
    assert Meeting.objects.count() == 1
    assert AgendaItem.objects.count() == 3


def test_issue_on_an_earlier_meeting_is_not_new(agenda, village_cadre, shaoxing):
    convene_meeting(town=shaoxing.lanting, week="2026-W47")
    fresh = issue_at_town(village_cadre, "本周新问题")
    meeting = convene_meeting(town=shaoxing.lanting, week=WEEK)
    assert item_for(meeting, fresh).new is True
    assert item_for(meeting, agenda["held"][0]).new is False


def test_meeting_snapshots_the_towns_week(agenda, village_cadre, shaoxing):
    with time_machine.travel(datetime.datetime(2026, 12, 8, 10, tzinfo=SHANGHAI)):
        issue_at_town(village_cadre, "那一周发现")
        meeting = convene_meeting(town=shaoxing.lanting, week="2026-W50")
    assert meeting.stats["since"] == "2026-12-07"
    assert meeting.stats["until"] == "2026-12-13"
    assert meeting.stats["found"] == 1


def test_convening_for_a_village_or_a_bad_week_is_refused(shaoxing):
    with pytest.raises(ValidationError):
        convene_meeting(town=shaoxing.lanting_village, week=WEEK)
    with pytest.raises(ValidationError):
        convene_meeting(town=shaoxing.lanting, week="2026-W54")
    assert not Meeting.objects.exists()


def test_convene_meetings_covers_towns_with_issues_or_members(agenda, other_town_office):
    result = convene_meetings(week=WEEK)
    assert result["convened"] == ["330602002000", LANTING]
    assert convene_meetings(week=WEEK) == {
        "week": WEEK,
        "convened": [],
        "existing": ["330602002000", LANTING],
    }
    assert Meeting.objects.count() == 2


def test_convening_every_town_gives_each_the_agenda_and_snapshot_of_convening_it_alone(
    agenda, village_cadre, shaoxing
):
    with time_machine.travel(datetime.datetime(2026, 11, 24, 10, tzinfo=SHANGHAI)):
        convene_meeting(town=shaoxing.lanting, week="2026-W47")
        fresh = issue_at_town(village_cadre, "本周新问题")
        alone = convene_meeting(town=shaoxing.lanting, week=WEEK)
        expected_items = set(alone.items.values_list("issue_id", "new"))
        expected_stats = alone.stats
        AgendaItem.objects.filter(meeting=alone).delete()
        alone.delete()
        convene_meetings(week=WEEK)
    together = Meeting.objects.get(town=LANTING, week=WEEK)
    assert set(together.items.values_list("issue_id", "new")) == expected_items
    assert (fresh.pk, True) in expected_items and (agenda["held"][0].pk, False) in expected_items
    assert together.stats == expected_stats and together.stats["found"] >= 1


def test_task_convenes_the_current_week_in_shanghai(agenda):
    # Monday 00:30 in Shanghai is still Sunday in UTC: the week is Shanghai's.
    with time_machine.travel(datetime.datetime(2026, 11, 23, 0, 30, tzinfo=SHANGHAI)):
        result = convene_meetings_task()
    assert result["week"] == "2026-W48"
    assert Meeting.objects.get().week == "2026-W48"


def test_command_convenes_once_and_says_so(agenda, capsys):
    call_command("convene_meetings", "--week", WEEK)
    first = capsys.readouterr().out
    call_command("convene_meetings", "--week", WEEK)
    second = capsys.readouterr().out
    assert f"{WEEK} {LANTING}: convened" in first
    assert f"{WEEK} {LANTING}: already convened" in second
    assert "0 convened" in second
    assert Meeting.objects.count() == 1


def test_command_refuses_a_malformed_week(db):
    with pytest.raises(CommandError):
        call_command("convene_meetings", "--week", "48")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_convening_at_once_make_one_meeting(agenda, shaoxing):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def convene():
        try:
            barrier.wait()
            results.append(convene_meeting(town=LANTING, week=WEEK).pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=convene) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    assert Meeting.objects.count() == 1
    assert AgendaItem.objects.count() == 3


# Deciding -----------------------------------------------------------------------------------


def test_assign_decision_assigns_the_issue(meeting, agenda, town_office):
    dept = town_department()
    issue = agenda["held"][0]
    item = decide_agenda_item(
        actor=town_office,
        item=item_for(meeting, issue),
        decision="assign",
        department=dept.pk,
        note="一周内疏通",
    )
    issue.refresh_from_db()
    assert (issue.status, issue.department) == (Issue.Status.ASSIGNED, dept)
    last = issue.events.last()
    assert (last.kind, last.department, last.actor) == (IssueEvent.Kind.ASSIGNED, dept, town_office)
    assert (item.decision, item.department, item.decided_by) == ("assign", dept, town_office)
    assert item.decided_at is not None


def test_resolve_decision_resolves_the_issue(meeting, agenda, town_office):
    issue = agenda["held"][0]
    decide_agenda_item(
        actor=town_office, item=item_for(meeting, issue), decision="resolve", resolution="已清淤"
    )
    issue.refresh_from_db()
    assert (issue.status, issue.resolved_tier, issue.resolution) == ("resolved", "town", "已清淤")
    assert issue.events.last().kind == IssueEvent.Kind.RESOLVED


def test_escalate_decision_sends_the_issue_to_the_county(meeting, agenda, town_office):
    issue = agenda["held"][0]
    decide_agenda_item(
        actor=town_office,
        item=item_for(meeting, issue),
        decision="escalate",
        reason="multi_level",
        note="需要区里协调",
    )
    issue.refresh_from_db()
    assert (issue.tier, issue.holder_id) == (Tier.COUNTY, "330603000000")
    last = issue.events.last()
    assert (last.kind, last.reason, last.tier_from, last.tier_to) == (
        "escalated",
        "multi_level",
        "town",
        "county",
    )


def test_return_decision_sends_the_issue_back_to_the_village(meeting, agenda, town_office):
    issue = agenda["held"][0]
    decide_agenda_item(
        actor=town_office, item=item_for(meeting, issue), decision="return", reason="属村级事务"
    )
    issue.refresh_from_db()
    assert (issue.tier, issue.holder_id) == (Tier.VILLAGE, "330603008250")
    assert issue.events.last().kind == IssueEvent.Kind.RETURNED


def test_carry_over_with_a_note_comments_and_without_changes_nothing(meeting, agenda, town_office):
    first, second = agenda["held"][:2]
    decide_agenda_item(
        actor=town_office, item=item_for(meeting, first), decision="carry_over", note="下周再议"
    )
    events_before = second.events.count()
    decide_agenda_item(actor=town_office, item=item_for(meeting, second), decision="carry_over")
    first.refresh_from_db()
    assert first.status == Issue.Status.OPEN and first.tier == Tier.TOWN
    assert first.events.last().kind == IssueEvent.Kind.COMMENTED
    assert second.events.count() == events_before
    assert item_for(meeting, second).decision == "carry_over"


def test_bad_escalation_reason_writes_nothing(meeting, agenda, town_office):
    issue = agenda["held"][0]
    item = item_for(meeting, issue)
    with pytest.raises(ValidationError):
        decide_agenda_item(actor=town_office, item=item, decision="escalate", reason="overdue")
    issue.refresh_from_db()
    item.refresh_from_db()
    assert issue.tier == Tier.TOWN and item.decision == ""


def test_assign_without_a_department_writes_nothing(meeting, agenda, town_office):
    item = item_for(meeting, agenda["held"][0])
    with pytest.raises(ValidationError):
        decide_agenda_item(actor=town_office, item=item, decision="assign")
    item.refresh_from_db()
    assert item.decision == ""


def test_an_item_is_decided_once(meeting, agenda, town_office):
    item = item_for(meeting, agenda["held"][0])
    decide_agenda_item(actor=town_office, item=item, decision="carry_over")
    with pytest.raises(TransitionError):
        decide_agenda_item(actor=town_office, item=item, decision="resolve", resolution="x")


def test_another_towns_office_does_not_see_the_meeting(meeting, agenda, other_town_office):
    item = item_for(meeting, agenda["held"][0])
    with pytest.raises(NotFound):
        decide_agenda_item(actor=other_town_office, item=item, decision="carry_over")
    with pytest.raises(NotFound):
        close_meeting(actor=other_town_office, meeting=meeting, minutes="x")


def test_county_office_sees_but_may_not_decide(meeting, agenda, county_office):
    item = item_for(meeting, agenda["held"][0])
    with pytest.raises(NotPermitted):
        decide_agenda_item(actor=county_office, item=item, decision="resolve", resolution="x")
    item.refresh_from_db()
    assert item.decision == ""


def test_closed_meeting_refuses_decisions(meeting, agenda, town_office):
    close_meeting(actor=town_office, meeting=meeting, minutes="会议纪要：三件议题")
    meeting.refresh_from_db()
    assert (meeting.status, meeting.closed_by, meeting.minutes) == (
        "closed",
        town_office,
        "会议纪要：三件议题",
    )
    item = item_for(meeting, agenda["held"][0])
    with pytest.raises(TransitionError):
        decide_agenda_item(actor=town_office, item=item, decision="resolve", resolution="x")
    assert Issue.objects.get(pk=item.issue_id).status == Issue.Status.OPEN
    with pytest.raises(TransitionError):
        close_meeting(actor=town_office, meeting=meeting, minutes="again")


def test_closing_needs_minutes(meeting, town_office):
    with pytest.raises(ValidationError):
        close_meeting(actor=town_office, meeting=meeting, minutes="  ")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.OPEN


# Pages --------------------------------------------------------------------------------------


def test_meeting_page_shows_the_agenda_with_a_decide_form(client, meeting, agenda, town_office):
    client.force_login(town_office)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    for issue in agenda["held"]:
        assert issue.title in page
    assert page.count('class="decide"') == 3
    assert agenda["at_county"].title not in page


def test_another_towns_office_gets_a_404_for_the_meeting(client, meeting, other_town_office):
    client.force_login(other_town_office)
    for path in ("", "print/", "agenda.xlsx"):
        assert client.get(f"/meetings/{meeting.pk}/{path}").status_code == 404


def test_deciding_on_the_page_assigns_the_issue(client, meeting, agenda, town_office):
    dept = town_department()
    issue = agenda["held"][0]
    item = item_for(meeting, issue)
    client.force_login(town_office)
    response = client.post(
        f"/meetings/{meeting.pk}/items/{item.pk}/decide/",
        {f"item{item.pk}-decision": "assign", f"item{item.pk}-department": dept.pk},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.department == dept
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert page.count('class="decide"') == 2


def test_deciding_without_the_needed_field_is_a_form_error(client, meeting, agenda, town_office):
    item = item_for(meeting, agenda["held"][0])
    client.force_login(town_office)
    response = client.post(
        f"/meetings/{meeting.pk}/items/{item.pk}/decide/", {f"item{item.pk}-decision": "escalate"}
    )
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.decision == ""


def test_deciding_on_a_closed_meeting_is_refused_on_the_page(client, meeting, agenda, town_office):
    close_meeting(actor=town_office, meeting=meeting, minutes="纪要")
    item = item_for(meeting, agenda["held"][0])
    client.force_login(town_office)
    response = client.post(
        f"/meetings/{meeting.pk}/items/{item.pk}/decide/",
        {f"item{item.pk}-decision": "resolve", f"item{item.pk}-resolution": "好了"},
    )
    assert response.status_code == 409
    assert Issue.objects.get(pk=item.issue_id).status == Issue.Status.OPEN


def test_closing_on_the_page_records_the_minutes(client, meeting, town_office):
    client.force_login(town_office)
    client.post(f"/meetings/{meeting.pk}/close/", {"minutes": "议定三件事"})
    meeting.refresh_from_db()
    assert (meeting.status, meeting.minutes) == ("closed", "议定三件事")


def test_printable_agenda_lists_every_item(client, meeting, agenda, town_office):
    client.force_login(town_office)
    page = client.get(f"/meetings/{meeting.pk}/print/").content.decode()
    assert "css/print.css" in page
    assert all(i.title in page for i in agenda["held"])


def test_agenda_spreadsheet_has_one_row_per_item(client, meeting, agenda, town_office):
    import io

    from openpyxl import load_workbook

    client.force_login(town_office)
    response = client.get(f"/meetings/{meeting.pk}/agenda.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[1][3] == "标题" and rows[1][9] == "决定"
    assert rows[0][0] == "兰亭街道民（企）情分析例会 第48周（11月23日—11月29日）"
    # The agenda's rows are numbered; the minutes follow them.
    items = [r for r in rows[2:] if isinstance(r[0], int)]
    assert sorted(r[1] for r in items) == sorted(i.pk for i in agenda["held"])


def test_office_member_convenes_this_weeks_meeting_from_the_page(client, agenda, town_office):
    client.force_login(town_office)
    response = client.post("/meetings/convene/", {"town": LANTING})
    meeting = Meeting.objects.get()
    assert response["Location"] == f"/meetings/{meeting.pk}/"
    client.post("/meetings/convene/", {"town": LANTING})
    assert Meeting.objects.count() == 1


def test_another_towns_office_cannot_convene(client, agenda, other_town_office):
    client.force_login(other_town_office)
    assert client.post("/meetings/convene/", {"town": LANTING}).status_code == 404
    assert not Meeting.objects.exists()


def test_meeting_page_runs_a_fixed_number_of_queries(
    client, village_cadre, town_office, shaoxing, query_budget
):
    town_department()
    issue_at_town(village_cadre, "一")
    small_meeting = convene_meeting(town=shaoxing.lanting, week="2026-W47")
    client.force_login(town_office)
    client.get(f"/meetings/{small_meeting.pk}/")
    with query_budget.measure():
        client.get(f"/meetings/{small_meeting.pk}/")
    for n in range(10):
        issue_at_town(village_cadre, f"问题{n}")
    big = convene_meeting(town=shaoxing.lanting, week=WEEK)
    with query_budget.at_most():
        client.get(f"/meetings/{big.pk}/")


def test_item_whose_issue_has_moved_on_is_a_conflict(meeting, agenda, town_office):
    from issues.sweep import escalate_overdue

    issue = agenda["held"][0]
    Issue.objects.filter(pk=issue.pk).update(due_at=issue.arrived_at.replace(year=2020))
    escalate_overdue()
    item = item_for(meeting, issue)
    with pytest.raises(TransitionError):
        decide_agenda_item(actor=town_office, item=item, decision="resolve", resolution="x")
    item.refresh_from_db()
    assert item.decision == ""
