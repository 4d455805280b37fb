"""回访 and the figures it feeds: the offices' queue of unrated resolutions, the calls they
record, satisfaction and redo rates; forgetting the reporter leaves the figures alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from issues import services
from issues.models import Issue
from issues.selectors import stats
from residents.services import anonymise_reporters

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)


def raise_and_resolve(shaoxing, cadre, water, title, *, phone="13812345678", now=MONDAY):
    issue = services.raise_issue(
        actor=cadre,
        division=shaoxing.lanting_village,
        category=water,
        title=title,
        reporter_name="王大伯",
        reporter_phone=phone,
        now=now,
    )
    return services.resolve_issue(actor=cadre, issue=issue, resolution="已修复", now=now)


def queue(client):
    answer = client.get("/api/v1/followups/")
    assert answer.status_code == 200, answer.content
    return [row["id"] for row in answer.json()["results"]]


def test_the_queue_holds_unrated_resolutions_after_a_working_day(
    api_client_for, shaoxing, village_cadre, town_office, county_office, water
):
    old = raise_and_resolve(shaoxing, village_cadre, water, "旧")
    rated = raise_and_resolve(shaoxing, village_cadre, water, "已评")
    services.record_feedback(actor=town_office, issue=rated, rating="satisfied")
    raise_and_resolve(shaoxing, village_cadre, water, "无电话", phone="")
    office = api_client_for(town_office)
    # Resolved Monday 09:00: one working day later is Tuesday 09:00, so not yet at 08:00.
    with time_machine.travel(MONDAY + timedelta(hours=23)):
        assert queue(office) == []
    with time_machine.travel(MONDAY + timedelta(days=1, hours=1)):
        assert queue(office) == [old.pk]
        assert queue(api_client_for(county_office)) == [old.pk]
        assert queue(api_client_for(village_cadre)) == []  # not an office
        reached = office.post(
            f"/api/v1/issues/{old.pk}/followup/", {"outcome": "unreachable", "note": "无人接听"}
        )
        assert reached.status_code == 200
        assert queue(office) == [old.pk]  # still to call
        by_raiser = api_client_for(village_cadre).post(
            f"/api/v1/issues/{old.pk}/followup/", {"outcome": "reached", "rating": "satisfied"}
        )
        assert by_raiser.status_code == 403
        bad = office.post(
            f"/api/v1/issues/{old.pk}/followup/", {"outcome": "declined", "rating": "satisfied"}
        )
        assert bad.status_code == 400
        done = office.post(
            f"/api/v1/issues/{old.pk}/followup/",
            {"outcome": "reached", "rating": "basically_satisfied"},
        )
        assert done.status_code == 200 and done.json()["rating"] == "basically_satisfied"
        assert queue(office) == []
        again = office.post(f"/api/v1/issues/{old.pk}/followup/", {"outcome": "reached"})
        assert again.status_code == 409
        second = office.post(f"/api/v1/issues/{old.pk}/feedback/", {"rating": "satisfied"})
        assert second.status_code == 409
        assert Issue.objects.get(pk=old.pk).rating == "basically_satisfied"


def test_rates_count_ratings_calls_and_redos(shaoxing, village_cadre, town_office, water):
    a = raise_and_resolve(shaoxing, village_cadre, water, "甲")
    b = raise_and_resolve(shaoxing, village_cadre, water, "乙")
    c = raise_and_resolve(shaoxing, village_cadre, water, "丙")
    raise_and_resolve(shaoxing, village_cadre, water, "丁")
    services.record_feedback(actor=town_office, issue=a, rating="satisfied")
    services.record_followup(actor=town_office, issue=b, outcome="reached", rating="unsatisfied")
    services.record_followup(actor=town_office, issue=c, outcome="declined")
    figures = stats(Issue.objects.all())
    assert (figures["rated"], figures["followed_up"]) == (2, 2)
    assert figures["satisfaction_rate"] == 0.5
    # b was redone: one of the four issues ever resolved.
    assert figures["redo_rate"] == 0.25
    assert figures["resolved"] == 3


def test_stats_api_carries_the_rates(api_client_for, town_office, shaoxing, village_cadre, water):
    a = raise_and_resolve(shaoxing, village_cadre, water, "甲")
    services.record_feedback(actor=town_office, issue=a, rating="basically_satisfied")
    body = api_client_for(town_office).get("/api/v1/stats/").json()
    assert (body["rated"], body["satisfaction_rate"], body["redo_rate"]) == (1, 1.0, 0.0)


def test_anonymising_blanks_old_reporters_and_leaves_stats_unchanged(
    shaoxing, village_cadre, town_office, water
):
    old = raise_and_resolve(shaoxing, village_cadre, water, "旧")
    services.record_feedback(actor=town_office, issue=old, rating="unsatisfied")
    services.resolve_issue(actor=village_cadre, issue=old, resolution="重办完成", now=MONDAY)
    recent = raise_and_resolve(
        shaoxing, village_cadre, water, "新", now=MONDAY + timedelta(days=100)
    )
    still_open = services.raise_issue(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        category=water,
        title="未办结",
        reporter_phone="13900001111",
        now=MONDAY,
    )
    period = {"since": MONDAY.date(), "until": MONDAY.date() + timedelta(days=120)}
    before = stats(Issue.objects.all(), **period)
    when = MONDAY + timedelta(days=181)
    assert anonymise_reporters(now=when) == 1
    assert anonymise_reporters(now=when) == 0
    assert stats(Issue.objects.all(), **period) == before
    rows = {i.pk: i for i in Issue.objects.all()}
    assert (rows[old.pk].reporter_name, rows[old.pk].reporter_phone) == ("", "")
    assert rows[old.pk].anonymised_at == when
    assert rows[recent.pk].reporter_phone == "13812345678"
    assert rows[still_open.pk].reporter_phone == "13900001111"


def test_anonymising_forgets_old_text_messages_but_keeps_their_outcome(db):
    from sms.models import TextMessage

    old = TextMessage.objects.create(
        phone="13812345678", text="编号1", status="failed", created_at=MONDAY
    )
    new = TextMessage.objects.create(phone="13812345678", text="编号2", status="sent")
    anonymise_reporters(now=MONDAY + timedelta(days=181))
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.phone, old.text, old.status) == ("", "", "failed")
    assert new.phone == "13812345678"


def test_the_office_page_lists_the_calls_to_make_in_fixed_queries(
    client, shaoxing, village_cadre, town_office, water, query_budget
):
    raise_and_resolve(shaoxing, village_cadre, water, "甲")
    client.force_login(village_cadre)
    assert client.get("/followups/").status_code == 404
    client.force_login(town_office)
    with time_machine.travel(MONDAY + timedelta(days=3)):
        client.get("/followups/")
        with query_budget.measure():
            page = client.get("/followups/")
        assert "甲" in page.content.decode() and "13812345678" in page.content.decode()
        for i in range(5):
            raise_and_resolve(shaoxing, village_cadre, water, f"乙{i}")
        with query_budget.same():
            client.get("/followups/")


def test_the_issue_page_names_where_each_rating_came_from(
    client, shaoxing, village_cadre, town_office, water
):
    issue = raise_and_resolve(shaoxing, village_cadre, water, "甲")
    services.record_followup(actor=town_office, issue=issue, outcome="unreachable")
    services.record_feedback(actor=None, issue=issue, rating="satisfied", via="resident")
    client.force_login(town_office)
    body = client.get(f"/issues/{issue.pk}/").content.decode()
    assert "未接通" in body and "反映人本人（网页）" in body
