"""The meeting's minutes: who chaired and attended, decisions corrected while the meeting is
open (and on the issue's timeline), the agenda's context, and the printed and XLSX minutes."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from openpyxl import load_workbook

from common.errors import NotFound, NotPermitted, TransitionError
from issues.models import IssueEvent
from meetings.models import AgendaItem, DecisionCorrection, Meeting
from meetings.services import (
    close_meeting,
    convene_meeting,
    correct_decision,
    decide_agenda_item,
    record_attendance,
)

from ..factories import CadreFactory
from ..issues.offices import issue_at_town, town_department

WEEK = "2026-W48"


@pytest.fixture
def held(village_cadre):
    return [
        issue_at_town(village_cadre, "灌溉渠堵塞", description="渠道被淤泥堵住"),
        issue_at_town(village_cadre, "村道积水"),
    ]


@pytest.fixture
def meeting(held, shaoxing):
    return convene_meeting(town=shaoxing.lanting, week=WEEK)


@pytest.fixture
def decided(meeting, held, town_office) -> AgendaItem:
    """The first item assigned to the town's agriculture office, with a deadline in words."""
    item = meeting.items.get(issue=held[0])
    return decide_agenda_item(
        actor=town_office,
        item=item,
        decision="assign",
        department=town_department(),
        note="限本周五前疏通",
    )


@pytest.fixture
def named(town_office, village_cadre):
    """The town office member and the village cadre with their names."""
    town_office.first_name = "章主任"
    town_office.save(update_fields=["first_name"])
    return {"office": "章主任", "cadre": village_cadre.cadre.name}


def english(client):
    client.cookies["django_language"] = "en"
    return client


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Attendance ---------------------------------------------------------------------------------


def test_attendance_records_host_attendees_and_other_names(meeting, town_office, village_cadre):
    record_attendance(
        actor=town_office,
        meeting=meeting,
        host=town_office,
        attendees=[town_office, village_cadre],
        attendee_names="县农业农村局李科长、 兰亭村书记\n",
    )
    meeting.refresh_from_db()
    assert meeting.host == town_office
    assert set(meeting.attendees.all()) == {town_office, village_cadre}
    assert meeting.attendee_names == "县农业农村局李科长\n兰亭村书记"


def test_attendance_recorded_again_replaces_the_list(meeting, town_office, village_cadre):
    record_attendance(actor=town_office, meeting=meeting, attendees=[village_cadre])
    record_attendance(actor=town_office, meeting=meeting, attendees=[town_office])
    assert list(meeting.attendees.all()) == [town_office]


def test_someone_outside_the_town_is_refused_and_nothing_is_written(meeting, town_office, outsider):
    with pytest.raises(Exception) as refused:
        record_attendance(
            actor=town_office, meeting=meeting, host=outsider, attendees=[outsider.pk]
        )
    assert set(refused.value.message_dict) == {"host", "attendees"}
    meeting.refresh_from_db()
    assert meeting.host is None and not meeting.attendees.exists()


def test_attendance_of_a_closed_meeting_is_refused(meeting, town_office):
    close_meeting(actor=town_office, meeting=meeting, minutes="议定两件事")
    with pytest.raises(TransitionError):
        record_attendance(actor=town_office, meeting=meeting, host=town_office)


def test_attendance_by_others_is_refused(meeting, other_town_office, county_leader):
    with pytest.raises(NotFound):
        record_attendance(actor=other_town_office, meeting=meeting)
    with pytest.raises(NotPermitted):
        record_attendance(actor=county_leader, meeting=meeting)


def test_the_page_records_the_attendance(client, meeting, town_office, village_cadre, named):
    client.force_login(town_office)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'action="/meetings/{meeting.pk}/attendance/"' in page
    response = client.post(
        f"/meetings/{meeting.pk}/attendance/",
        {
            "host": town_office.pk,
            "attendees": [town_office.pk, village_cadre.pk],
            "attendee_names": "县农业农村局李科长",
        },
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    attendance = page[page.index('id="attendance"') :]
    assert named["office"] in attendance and named["cadre"] in attendance
    assert "县农业农村局李科长" in attendance


def test_a_bad_attendance_is_a_form_error(client, meeting, town_office, outsider):
    client.force_login(town_office)
    response = client.post(f"/meetings/{meeting.pk}/attendance/", {"host": outsider.pk})
    assert response.status_code == 400
    assert response.context["attendance_form"].errors["host"]
    meeting.refresh_from_db()
    assert meeting.host is None


# Correcting a decision ----------------------------------------------------------------------


def test_a_decision_is_corrected_and_the_timeline_says_so(decided, town_office):
    correct_decision(
        actor=town_office, item=decided, note="限下周一前疏通", reason="会上口误，以此为准"
    )
    decided.refresh_from_db()
    assert decided.note == "限下周一前疏通"
    assert decided.decision == "assign"  # the transition stands
    fix = decided.corrections.get()
    assert (fix.before, fix.after, fix.reason, fix.corrected_by) == (
        "限本周五前疏通",
        "限下周一前疏通",
        "会上口误，以此为准",
        town_office,
    )
    event = decided.issue.events.last()
    assert event.kind == IssueEvent.Kind.DECISION_CORRECTED
    assert event.actor == town_office
    assert "限下周一前疏通" in event.note and "限本周五前疏通" in event.note
    assert "会上口误" in event.note
    assert not event.is_public


def test_corrected_twice_keeps_both_corrections(decided, town_office):
    correct_decision(actor=town_office, item=decided, note="第二稿", reason="补充")
    correct_decision(actor=town_office, item=decided, note="第三稿", reason="再补充")
    assert list(decided.corrections.values_list("before", "after")) == [
        ("限本周五前疏通", "第二稿"),
        ("第二稿", "第三稿"),
    ]
    kinds = decided.issue.events.filter(kind=IssueEvent.Kind.DECISION_CORRECTED)
    assert kinds.count() == 2


def test_a_correction_that_changes_nothing_or_gives_no_reason_is_refused(decided, town_office):
    with pytest.raises(Exception) as refused:
        correct_decision(actor=town_office, item=decided, note="限本周五前疏通", reason="x")
    assert "note" in refused.value.message_dict
    with pytest.raises(Exception) as refused:
        correct_decision(actor=town_office, item=decided, note="新的", reason="  ")
    assert "reason" in refused.value.message_dict
    assert not DecisionCorrection.objects.exists()


def test_an_undecided_item_cannot_be_corrected(meeting, held, town_office):
    item = meeting.items.get(issue=held[1])
    with pytest.raises(TransitionError):
        correct_decision(actor=town_office, item=item, note="x", reason="y")


def test_after_the_meeting_closes_a_correction_is_refused(decided, town_office):
    close_meeting(actor=town_office, meeting=decided.meeting, minutes="议定")
    with pytest.raises(TransitionError):
        correct_decision(actor=town_office, item=decided, note="迟到的更正", reason="y")
    decided.refresh_from_db()
    assert decided.note == "限本周五前疏通"
    assert not decided.issue.events.filter(kind=IssueEvent.Kind.DECISION_CORRECTED).exists()


def test_only_the_towns_office_corrects(decided, other_town_office, county_leader):
    with pytest.raises(NotFound):
        correct_decision(actor=other_town_office, item=decided, note="x", reason="y")
    with pytest.raises(NotPermitted):
        correct_decision(actor=county_leader, item=decided, note="x", reason="y")
    assert not DecisionCorrection.objects.exists()


def test_the_page_corrects_a_decision_while_open(client, decided, town_office):
    client.force_login(town_office)
    url = f"/meetings/{decided.meeting_id}/items/{decided.pk}/correct/"
    page = client.get(f"/meetings/{decided.meeting_id}/").content.decode()
    assert f'action="{url}"' in page
    response = client.post(
        url, {f"fix{decided.pk}-note": "限下周一前", f"fix{decided.pk}-reason": "口误"}
    )
    assert response.status_code == 302
    page = english(client).get(response.url).content.decode()
    assert "(was: 限本周五前疏通). Reason: 口误" in page
    # And on the issue's own timeline.
    page = client.get(f"/issues/{decided.issue_id}/").content.decode()
    assert "meeting decision corrected" in page and "限下周一前" in page


def test_a_correction_without_reason_is_a_form_error(client, decided, town_office):
    client.force_login(town_office)
    response = client.post(
        f"/meetings/{decided.meeting_id}/items/{decided.pk}/correct/",
        {f"fix{decided.pk}-note": "限下周一前"},
    )
    assert response.status_code == 400
    assert "reason" in response.context["items"][0].correct_form.errors
    assert not DecisionCorrection.objects.exists()


def test_after_close_the_page_refuses_a_correction_with_a_message(client, decided, town_office):
    close_meeting(actor=town_office, meeting=decided.meeting, minutes="议定")
    client.force_login(town_office)
    page = english(client).get(f"/meetings/{decided.meeting_id}/").content.decode()
    assert "/correct/" not in page and "/attendance/" not in page
    response = client.post(
        f"/meetings/{decided.meeting_id}/items/{decided.pk}/correct/",
        {f"fix{decided.pk}-note": "迟到的", f"fix{decided.pk}-reason": "y"},
    )
    assert response.status_code == 409
    assert any("can no longer be corrected" in m for m in texts(response))
    decided.refresh_from_db()
    assert decided.note == "限本周五前疏通"


# The agenda's context -----------------------------------------------------------------------


def test_agenda_shows_each_items_escalation_reason_and_latest_steps(
    client, meeting, held, town_office
):
    client.force_login(town_office)
    page = english(client).get(f"/meetings/{meeting.pk}/").content.decode()
    item = page[page.index(f'id="item-{meeting.items.get(issue=held[0]).pk}"') :]
    assert (
        "Escalated because: beyond this tier&#x27;s authority" in item[: item.index("Latest steps")]
    )
    assert "村里解决不了" in item  # the village's note on the escalation
    assert "渠道被淤泥堵住" in item
    assert "Latest steps" in item and "village → town" in item


def test_meeting_page_runs_a_fixed_number_of_queries(
    client, meeting, town_office, village_cadre, shaoxing, query_budget
):
    record_attendance(actor=town_office, meeting=meeting, attendees=[town_office])
    client.force_login(town_office)
    client.get(f"/meetings/{meeting.pk}/")
    with query_budget.measure():
        client.get(f"/meetings/{meeting.pk}/")
    more = [issue_at_town(village_cadre, f"新问题{n}") for n in range(6)]
    Meeting.objects.filter(pk=meeting.pk).delete()
    again = convene_meeting(town=shaoxing.lanting, week=WEEK)
    record_attendance(actor=town_office, meeting=again, attendees=[town_office, village_cadre])
    item = again.items.get(issue=more[0])
    decide_agenda_item(actor=town_office, item=item, decision="carry_over", note="再议")
    correct_decision(actor=town_office, item=item, note="下周再议", reason="补记")
    with query_budget.at_most():
        client.get(f"/meetings/{again.pk}/")


# The minutes printed and in the spreadsheet -------------------------------------------------


@pytest.fixture
def minuted(decided, town_office, village_cadre, named):
    meeting = decided.meeting
    record_attendance(
        actor=town_office,
        meeting=meeting,
        host=town_office,
        attendees=[village_cadre],
        attendee_names="县农业农村局李科长",
    )
    correct_decision(actor=town_office, item=decided, note="限下周一前疏通", reason="口误")
    close_meeting(actor=town_office, meeting=meeting, minutes="议定：灌溉渠交农业农村办。")
    return meeting


def test_print_page_has_the_minutes(client, minuted, town_office, named):
    client.force_login(town_office)
    page = english(client).get(f"/meetings/{minuted.pk}/print/").content.decode()
    attendance = page[page.index('class="attendance"') :]
    assert f'<span id="host">{named["office"]}</span>' in attendance
    assert named["cadre"] in attendance and "县农业农村局李科长" in attendance
    assert "assign to a department" in page and "限下周一前疏通" in page
    assert "(was: 限本周五前疏通). Reason: 口误" in page
    assert "议定：灌溉渠交农业农村办。" in page
    assert "Escalated because: beyond this tier&#x27;s authority" in page
    assert f"Chaired by {named['office']}" in page


def test_spreadsheet_has_the_minutes(client, minuted, decided, town_office, named):
    client.force_login(town_office)
    response = client.get(f"/meetings/{minuted.pk}/agenda.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    headers = rows[1]
    assert headers[13] == "上报原因" and headers[14] == "更正记录"
    row = next(r for r in rows[2:] if r[1] == decided.issue_id)
    assert row[11] == "限下周一前疏通"
    assert "限本周五前疏通" in row[14] and "口误" in row[14]
    assert row[13] == "本层级无法解决"
    by_label = {r[1]: r[2] for r in rows if r and len(r) > 2 and r[1] and r[0] is None}
    assert by_label["主持人"] == named["office"]
    assert by_label["参会人员"] == f"{named['cadre']}、县农业农村局李科长"
    assert by_label["会议纪要"] == "议定：灌溉渠交农业农村办。"


def test_a_cadre_of_the_town_can_be_an_attendee(meeting, town_office, shaoxing):
    from ..factories import PostingFactory

    cadre = CadreFactory(name="谢家坞驻村干部")
    PostingFactory(cadre=cadre, division=shaoxing.xiejiawu)
    record_attendance(actor=town_office, meeting=meeting, attendees=[cadre.user])
    assert list(meeting.attendees.all()) == [cadre.user]


def test_a_resolution_decided_at_the_meeting_can_be_corrected(meeting, held, town_office):
    item = meeting.items.get(issue=held[1])
    decide_agenda_item(actor=town_office, item=item, decision="resolve", resolution="已抽水")
    correct_decision(actor=town_office, item=item, note="已抽水并疏通排水沟", reason="补充")
    item.refresh_from_db()
    assert item.note == "已抽水并疏通排水沟"
    assert item.issue.status == "resolved"
    assert item.issue.events.last().kind == IssueEvent.Kind.DECISION_CORRECTED


def test_the_admin_shows_host_attendees_and_corrections(
    client, minuted, decided, town_office, named
):
    client.force_login(town_office)
    page = client.get(f"/admin/meetings/meeting/{minuted.pk}/change/").content.decode()
    assert named["office"] in page
    assert f"{named['cadre']}、县农业农村局李科长" in page
    assert "限本周五前疏通 → 限下周一前疏通（口误）" in page
