"""The sweep: every overdue unresolved issue moves one tier up, set-based, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import Tier
from issues import services, sweep
from issues.deadlines import add_working_days
from issues.models import Issue, IssueEvent

from ..factories import CategoryFactory, IssueFactory, bulk_issues, division

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI)  # a Tuesday
DUE = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # T0 + 3 working days
AFTER = DUE + timedelta(minutes=1)

VILLAGES = ["330603008250", "330603008258", "330602002045", "330602002001"]


def escalated_to(tier: str, *, actor=None, now=T0) -> Issue:
    issue = IssueFactory(now=now)
    while issue.tier != tier:
        issue = services.escalate_issue(actor=actor, issue=issue, reason="multi_level", now=now)
    return issue


def test_sweep_moves_each_overdue_issue_exactly_one_tier_up(db, settings):
    issues = {tier: escalated_to(tier) for tier in ("village", "town", "county")}
    as_of = datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)  # past every deadline above

    moved = sweep.escalate_overdue(as_of=as_of)

    assert moved == {"village": 1, "town": 1, "county": 1, "city": 0}
    for start, issue in issues.items():
        row = Issue.objects.get(pk=issue.pk)
        new_tier = {"village": "town", "town": "county", "county": "city"}[start]
        assert row.tier == new_tier
        assert row.holder_id == {"town": "330603008000", "county": "330603000000"}.get(
            new_tier, "330600000000"
        )
        assert row.escalation_count == issue.escalation_count + 1
        assert row.peak_tier == new_tier
        assert row.arrived_at == as_of
        assert row.due_at == add_working_days(as_of, settings.SANBUFU_DEADLINE_DAYS[new_tier])
        assert row.version == issue.version + 1
        event = row.events.order_by("-id").first()
        assert (event.kind, event.reason, event.actor, event.tier_from, event.tier_to) == (
            "escalated",
            "overdue",
            None,
            start,
            new_tier,
        )


def test_sweep_leaves_issues_within_their_deadline_and_resolved_ones_alone(db, village_cadre):
    fresh = IssueFactory(now=DUE - timedelta(days=2))  # due next week
    done = IssueFactory(actor=village_cadre, now=T0)
    services.resolve_on_spot(actor=village_cadre, issue=done, resolution="当场解决", now=T0)
    late = IssueFactory(actor=village_cadre, now=T0)
    services.resolve_issue(actor=village_cadre, issue=late, resolution="晚了也解决了", now=AFTER)
    exactly_due = IssueFactory(now=T0)

    moved = sweep.escalate_overdue(as_of=DUE)  # due_at == as_of is not yet past

    assert sum(moved.values()) == 0
    for issue in (fresh, done, late, exactly_due):
        assert Issue.objects.get(pk=issue.pk).tier == "village"
    assert not IssueEvent.objects.filter(kind="escalated").exists()


def test_sweep_twice_at_the_same_moment_moves_each_issue_once(db):
    bulk_issues(30, due_at=DUE, divisions=VILLAGES)
    bulk_issues(10, due_at=DUE, tier=Tier.TOWN, divisions=VILLAGES)

    first = sweep.escalate_overdue(as_of=AFTER, batch_size=7)
    second = sweep.escalate_overdue(as_of=AFTER, batch_size=7)

    assert first == {"village": 30, "town": 10, "county": 0, "city": 0}
    assert second == {"village": 0, "town": 0, "county": 0, "city": 0}
    assert Issue.objects.filter(tier="town").count() == 30
    assert Issue.objects.filter(tier="county").count() == 10
    per_issue = IssueEvent.objects.filter(kind="escalated", reason="overdue").values_list(
        "issue_id", flat=True
    )
    assert sorted(per_issue) == sorted(Issue.objects.values_list("id", flat=True))


def test_sweep_moves_an_issue_again_only_once_its_new_tiers_deadline_passes(db):
    issue = IssueFactory(now=T0)

    sweep.escalate_overdue(as_of=AFTER)
    row = Issue.objects.get(pk=issue.pk)
    sweep.escalate_overdue(as_of=row.due_at - timedelta(seconds=1))
    assert Issue.objects.get(pk=issue.pk).tier == "town"

    sweep.escalate_overdue(as_of=row.due_at + timedelta(seconds=1))
    assert Issue.objects.get(pk=issue.pk).tier == "county"
    assert issue.events.filter(kind="escalated").count() == 2


def test_sweep_puts_an_overdue_city_issue_under_supervision_once(db):
    issue = escalated_to("city")
    as_of = issue.due_at + timedelta(hours=1)

    first = sweep.escalate_overdue(as_of=as_of)
    later = sweep.escalate_overdue(as_of=as_of + timedelta(days=10))

    assert first["city"] == 1 and later["city"] == 0
    row = Issue.objects.get(pk=issue.pk)
    assert (row.tier, row.supervised_at) == ("city", as_of)
    supervised = row.events.filter(kind="supervised")
    assert supervised.count() == 1
    assert supervised.get().actor is None
    assert not row.events.filter(kind="escalated", reason="overdue").exists()


def test_sweep_does_not_supervise_what_it_just_lifted_to_city(db):
    issue = escalated_to("county")

    moved = sweep.escalate_overdue(as_of=issue.due_at + timedelta(days=400))

    assert moved == {"village": 0, "town": 0, "county": 1, "city": 0}
    row = Issue.objects.get(pk=issue.pk)
    assert row.tier == "city" and row.supervised_at is None


def test_sweep_clears_the_department_and_claim_of_what_it_moves(db, county_leader):
    issue = escalated_to("county")
    services.claim_issue(actor=county_leader, issue=issue)

    sweep.escalate_overdue(as_of=issue.due_at + timedelta(minutes=1))

    row = Issue.objects.get(pk=issue.pk)
    assert (row.tier, row.status, row.claimed_by) == ("city", "open", None)


def test_sweep_honours_each_categorys_own_deadline_for_the_new_tier(db):
    quick = CategoryFactory(code="quick", town_days=1)
    slow = CategoryFactory(code="slow", town_days=10)
    a = IssueFactory(now=T0, category=quick)
    b = IssueFactory(now=T0, category=slow)
    c = IssueFactory(now=T0)

    sweep.escalate_overdue(as_of=AFTER)

    due = dict(Issue.objects.values_list("id", "due_at"))
    assert due[a.pk] == add_working_days(AFTER, 1)
    assert due[b.pk] == add_working_days(AFTER, 10)
    assert due[c.pk] == add_working_days(AFTER, 7)


def test_sweep_emails_each_new_holders_office_once_per_batch(
    db, eager, town_office, other_town_office, django_capture_on_commit_callbacks
):
    bulk_issues(5, due_at=DUE, divisions=["330603008250", "330603008258"])
    bulk_issues(3, due_at=DUE, divisions=["330602002045"])

    with django_capture_on_commit_callbacks(execute=True):
        sweep.escalate_overdue(as_of=AFTER)

    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {("town_office@example.org",), ("other_town_office@example.org",)}
    assert by_recipient[("town_office@example.org",)].body.count("/issues/") == 5
    assert by_recipient[("other_town_office@example.org",)].body.count("/issues/") == 3


@pytest.mark.parametrize("batch_size", [1000, 100])
def test_sweep_runs_a_number_of_queries_set_by_batches_not_by_issues(db, batch_size):
    event_table = IssueEvent._meta.db_table

    def queries_for(n: int) -> tuple[int, int]:
        Issue.objects.all().delete()
        bulk_issues(n, due_at=DUE, divisions=VILLAGES, with_events=False)
        with CaptureQueriesContext(connection) as ctx:
            moved = sweep.escalate_overdue(as_of=AFTER, batch_size=batch_size)
        assert moved["village"] == n
        inserts = [q for q in ctx if q["sql"].startswith(f'INSERT INTO "{event_table}"')]
        return len(ctx) - len(inserts), len(inserts)

    (small, small_inserts), (large, large_inserts) = queries_for(50), queries_for(500)

    batches_small = -(-50 // batch_size)
    batches_large = -(-500 // batch_size)
    # Events go in one INSERT per batch, or as many as the backend's parameter limit needs
    # (SQLite: 999 parameters, so about 90 events per statement); never one per issue.
    fields = [f for f in IssueEvent._meta.concrete_fields if not f.primary_key]
    per_insert = connection.ops.bulk_batch_size(fields, [None] * 500) or 500
    assert large_inserts <= batches_large * -(-min(batch_size, 500) // per_insert)
    assert small_inserts <= batches_small * -(-min(batch_size, 50) // per_insert)
    if batches_small == batches_large:
        assert small == large
    else:
        per_batch = (large - small) / (batches_large - batches_small)
        # A handful of statements per batch: lock the ids, update, savepoint handling.
        assert per_batch <= 6


def test_escalate_overdue_command_prints_how_many_moved_from_each_tier(db):
    bulk_issues(3, due_at=DUE, divisions=VILLAGES)
    bulk_issues(2, due_at=DUE, tier=Tier.COUNTY, divisions=VILLAGES)
    division("330600000000")
    bulk_issues(1, due_at=DUE, tier=Tier.CITY, divisions=VILLAGES)
    out = StringIO()

    call_command("escalate_overdue", "--as-of", "2026-11-20T10:01:00+08:00", stdout=out)

    assert out.getvalue().splitlines() == [
        "village: 3 escalated",
        "town: 0 escalated",
        "county: 2 escalated",
        "city: 1 put under supervision",
    ]
    assert Issue.objects.filter(tier="town").count() == 3


def test_escalate_overdue_command_reads_a_naive_time_as_shanghai_time(db):
    bulk_issues(1, due_at=DUE, divisions=VILLAGES)
    out = StringIO()

    # 10:00:30 in Shanghai is after the deadline; were it read as UTC it would be 18:00:30.
    call_command("escalate_overdue", "--as-of", "2026-11-20T10:00:30", stdout=out)

    row = Issue.objects.get()
    assert row.tier == "town"
    assert row.arrived_at == DUE + timedelta(seconds=30)


def test_escalate_overdue_command_refuses_a_time_it_cannot_read(db):
    with pytest.raises(CommandError):
        call_command("escalate_overdue", "--as-of", "next tuesday")
