"""Staff are told in time: the inbox of what concerns each user, its unread count on every
page, mail and text by preference, and the morning reminder of amber and red issues."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from issues import notifications, services
from issues.models import Issue, Notification, NotificationPreference
from issues.tasks import send_digest_task

from ..factories import CategoryFactory


@pytest.fixture
def water(db):
    return CategoryFactory(code="water")


def raise_at(shaoxing, cadre, water, title="水管", **kw):
    return services.raise_issue(
        actor=cadre, division=shaoxing.lanting_village, category=water, title=title, **kw
    )


def deliver(issue) -> None:
    """What the inbox task does after commit, for every event of the issue."""
    notifications.add_to_inboxes(list(issue.events.values_list("pk", flat=True)))


def test_escalation_claim_and_unsatisfied_rating_reach_whom_they_concern(
    shaoxing, village_cadre, town_office, county_office, county_leader, water
):
    issue = raise_at(shaoxing, village_cadre, water)
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    services.escalate_issue(actor=town_office, issue=issue, reason="multi_level")
    services.claim_issue(actor=county_leader, issue=issue)
    services.resolve_issue(actor=county_leader, issue=issue, resolution="已协调")
    services.record_feedback(actor=town_office, issue=issue, rating="unsatisfied")
    deliver(issue)
    kinds = {
        user: sorted(Notification.objects.filter(user=user).values_list("event__kind", flat=True))
        for user in (village_cadre, town_office, county_office, county_leader)
    }
    assert kinds[town_office] == ["escalated"]  # not their own escalation or rating
    assert kinds[county_office] == ["escalated", "feedback"]
    assert kinds[county_leader] == ["escalated", "feedback"]
    assert kinds[village_cadre] == ["claimed", "feedback", "resolved"]
    deliver(issue)  # twice: nothing doubles
    assert Notification.objects.filter(user=county_office).count() == 2


def test_the_inbox_and_its_count_cost_the_same_queries_however_many(
    client, shaoxing, village_cadre, town_office, water, query_budget
):
    client.force_login(town_office)

    def escalate(n):
        for i in range(n):
            issue = raise_at(shaoxing, village_cadre, water, f"问题{i}")
            services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
            deliver(issue)

    escalate(2)
    client.get(reverse("issues:inbox"))
    Notification.objects.update(read_at=None)
    with query_budget.measure():
        page = client.get(reverse("issues:inbox"))
    assert page.status_code == 200 and page.content.decode().count("notification unread") == 2
    escalate(20)
    with query_budget.same():
        client.get(reverse("issues:inbox"))
    escalate(1)
    with query_budget.measure():
        client.get("/api/v1/notifications/?unread=true")
    escalate(5)
    with query_budget.same():
        answer = client.get("/api/v1/notifications/?unread=true")
    assert answer.json()["count"] == 6


def test_every_page_shows_the_unread_count_and_reading_clears_it(
    client, shaoxing, village_cadre, town_office, water
):
    issue = raise_at(shaoxing, village_cadre, water)
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    deliver(issue)
    client.force_login(town_office)
    home = client.get(reverse("issues:list")).content.decode()
    assert 'class="badge"' in home and ">1</span>" in home
    client.get(reverse("issues:inbox"))
    assert 'class="badge"' not in client.get(reverse("issues:list")).content.decode()


def test_marking_read_through_the_api(client, shaoxing, village_cadre, town_office, water):
    for i in range(3):
        issue = raise_at(shaoxing, village_cadre, water, f"问题{i}")
        services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
        deliver(issue)
    client.force_login(town_office)
    ids = list(Notification.objects.filter(user=town_office).values_list("pk", flat=True))
    assert (
        client.post("/api/v1/notifications/read/", {}, content_type="application/json").status_code
        == 400
    )
    one = client.post(
        "/api/v1/notifications/read/", {"ids": ids[:1]}, content_type="application/json"
    )
    assert one.json() == {"marked": 1}
    rest = client.post(
        "/api/v1/notifications/read/", {"all": True}, content_type="application/json"
    )
    assert rest.json() == {"marked": 2}
    # Someone else's ids mark nothing.
    client.force_login(village_cadre)
    other = client.post(
        "/api/v1/notifications/read/", {"ids": ids}, content_type="application/json"
    )
    assert other.json() == {"marked": 0}


def test_mail_and_text_follow_each_users_preference(shaoxing, village_cadre, town_office, water):
    NotificationPreference.objects.create(
        user=town_office, email=False, sms=True, phone="13900002222"
    )
    issue = raise_at(shaoxing, village_cadre, water)
    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    events = list(issue.events.values_list("pk", flat=True))
    assert all(town_office.email not in m.recipients for m in notifications.mails_for(events))
    [text] = notifications.staff_texts(events)
    assert text.phone == "13900002222" and f"#{issue.pk}" in text.text


def test_the_morning_reminder_goes_to_each_holder_of_amber_and_red_issues(
    shaoxing, village_cadre, community_cadre, town_office, water
):
    now = timezone.now()
    late = raise_at(shaoxing, village_cadre, water, "超期", now=now - timedelta(days=10))
    raise_at(shaoxing, village_cadre, water, "新的")
    services.escalate_issue(actor=village_cadre, issue=late, reason="beyond_authority")
    Issue.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=1))
    mails, texts = notifications.digest(now)
    assert [m.recipients for m in mails] == [[town_office.email]]
    assert "1件超期" in mails[0].body and "0件临期" in mails[0].body
    # Amber at the front line: most of the village's time used.
    amber = raise_at(shaoxing, village_cadre, water, "临期")
    Issue.objects.filter(pk=amber.pk).update(
        arrived_at=now - timedelta(days=4), due_at=now + timedelta(days=1)
    )
    assert send_digest_task() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([town_office.email, village_cadre.email])
    assert community_cadre.email not in [m.to[0] for m in mail.outbox]


def test_a_user_sets_how_to_be_told_and_a_text_needs_a_mobile(client, town_office):
    client.force_login(town_office)
    refused = client.post(reverse("issues:inbox"), {"email": "on", "sms": "on", "phone": ""})
    assert refused.status_code == 400
    assert not NotificationPreference.objects.filter(user=town_office).exists()
    saved = client.post(reverse("issues:inbox"), {"sms": "on", "phone": "139 0000 2222"})
    assert saved.status_code == 302
    pref = NotificationPreference.objects.get(user=town_office)
    assert (pref.email, pref.sms, pref.phone) == (False, True, "13900002222")
