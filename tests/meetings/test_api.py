"""The meetings API (API.md "Meetings")."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from issues.models import Issue
from meetings.services import close_meeting, convene_meeting

from ..issues.offices import issue_at_town, town_department

WEEK = "2026-W48"


@pytest.fixture
def meeting(village_cadre, shaoxing):
    issue_at_town(village_cadre, "一")
    issue_at_town(village_cadre, "二")
    return convene_meeting(town=shaoxing.lanting, week=WEEK)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def decide_url(meeting, item) -> str:
    return f"/api/v1/meetings/{meeting.pk}/items/{item.pk}/decide/"


def test_list_filters_by_town_and_week(meeting, town_office):
    body = api(town_office).get("/api/v1/meetings/", {"town": "330603008000", "week": WEEK}).json()
    assert [m["id"] for m in body["results"]] == [meeting.pk]
    assert api(town_office).get("/api/v1/meetings/", {"week": "2026-W47"}).json()["count"] == 0


def test_malformed_week_is_a_400(meeting, town_office):
    response = api(town_office).get("/api/v1/meetings/", {"week": "48"})
    assert response.status_code == 400 and "week" in response.json()


def test_detail_has_the_agenda(meeting, town_office):
    body = api(town_office).get(f"/api/v1/meetings/{meeting.pk}/").json()
    assert body["town"] == "330603008000" and body["status"] == "open"
    assert {i["issue_title"] for i in body["items"]} == {"一", "二"}
    assert set(body["items"][0]) >= {"id", "issue", "new", "decision", "department", "note"}


def test_another_towns_office_gets_404(meeting, other_town_office):
    client = api(other_town_office)
    assert client.get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    assert client.get("/api/v1/meetings/").json()["count"] == 0
    item = meeting.items.first()
    assert client.post(decide_url(meeting, item), {"decision": "carry_over"}).status_code == 404


def test_county_office_sees_but_deciding_is_403(meeting, county_office):
    item = meeting.items.first()
    client = api(county_office)
    assert client.get(f"/api/v1/meetings/{meeting.pk}/").status_code == 200
    response = client.post(decide_url(meeting, item), {"decision": "carry_over"}, format="json")
    assert response.status_code == 403


def test_decide_assign_applies_the_transition(meeting, town_office):
    dept = town_department()
    item = meeting.items.first()
    response = api(town_office).post(
        decide_url(meeting, item),
        {"decision": "assign", "department": dept.pk, "note": "本周办"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["decision"] == "assign"
    assert response.json()["department"] == dept.pk
    assert Issue.objects.get(pk=item.issue_id).status == "assigned"


def test_bad_decision_input_is_a_400_and_writes_nothing(meeting, town_office):
    item = meeting.items.first()
    client = api(town_office)
    assert client.post(decide_url(meeting, item), {"decision": "fly"}).status_code == 400
    response = client.post(
        decide_url(meeting, item), {"decision": "escalate", "reason": "overdue"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()
    response = client.post(decide_url(meeting, item), {"decision": "assign", "department": 999999})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.decision == ""
    assert Issue.objects.get(pk=item.issue_id).status == "open"


def test_deciding_on_a_closed_meeting_is_a_409(meeting, town_office):
    close_meeting(actor=town_office, meeting=meeting, minutes="纪要")
    item = meeting.items.first()
    response = api(town_office).post(
        decide_url(meeting, item), {"decision": "resolve", "resolution": "x"}, format="json"
    )
    assert response.status_code == 409 and "detail" in response.json()


def test_unknown_item_is_a_404(meeting, town_office):
    response = api(town_office).post(
        f"/api/v1/meetings/{meeting.pk}/items/999999/decide/", {"decision": "carry_over"}
    )
    assert response.status_code == 404


def test_close_records_minutes_and_closing_twice_is_a_409(meeting, town_office):
    client = api(town_office)
    response = client.post(f"/api/v1/meetings/{meeting.pk}/close/", {"minutes": "议定"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["minutes"]) == ("closed", "议定")
    again = client.post(f"/api/v1/meetings/{meeting.pk}/close/", {"minutes": "再次"})
    assert again.status_code == 409
    # Missing minutes are bad input, whatever the state: 400, before any state check.
    assert client.post(f"/api/v1/meetings/{meeting.pk}/close/", {}).status_code == 400


def test_unauthenticated_is_401(meeting):
    assert APIClient().get("/api/v1/meetings/").status_code == 401


def test_attendance_and_a_correction_through_the_api(meeting, town_office, village_cadre):
    client = api(town_office)
    response = client.post(
        f"/api/v1/meetings/{meeting.pk}/attendance/",
        {"host": town_office.pk, "attendees": [village_cadre.pk], "attendee_names": "李科长"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["host"], body["attendees"], body["attendee_names"]) == (
        "town_office",
        ["village_cadre"],
        "李科长",
    )
    item = meeting.items.first()
    client.post(decide_url(meeting, item), {"decision": "carry_over", "note": "再议"})
    response = client.post(
        f"/api/v1/meetings/{meeting.pk}/items/{item.pk}/correct/",
        {"note": "下周再议", "reason": "补记"},
    )
    assert response.status_code == 200
    [fix] = response.json()["corrections"]
    assert (fix["before"], fix["after"], fix["reason"]) == ("再议", "下周再议", "补记")


def test_after_close_a_correction_through_the_api_is_a_409(meeting, town_office):
    client = api(town_office)
    item = meeting.items.first()
    client.post(decide_url(meeting, item), {"decision": "carry_over", "note": "再议"})
    close_meeting(actor=town_office, meeting=meeting, minutes="议定")
    response = client.post(
        f"/api/v1/meetings/{meeting.pk}/items/{item.pk}/correct/",
        {"note": "下周再议", "reason": "补记"},
    )
    assert response.status_code == 409
    response = client.post(f"/api/v1/meetings/{meeting.pk}/attendance/", {}, format="json")
    assert response.status_code == 409


def test_an_outsider_in_the_attendance_is_a_400(meeting, town_office, outsider):
    response = api(town_office).post(
        f"/api/v1/meetings/{meeting.pk}/attendance/", {"host": outsider.pk}, format="json"
    )
    assert response.status_code == 400
    assert "host" in response.json()
