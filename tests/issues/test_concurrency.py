"""Races on PostgreSQL: sweeps running at once with people resolving, leaders claiming at
once. Each thread has its own database connection, closed when the thread ends."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from common.errors import TransitionError
from dispatch.models import Membership
from issues import services, sweep
from issues.models import Issue, IssueEvent

from ..factories import IssueFactory, MembershipFactory, UserFactory, bulk_issues, division

pytestmark = [pytest.mark.postgres]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
AS_OF = DUE + timedelta(minutes=1)
VILLAGES = ["330603008250", "330603008258", "330602002045", "330602002001"]


def run_together(targets) -> list[tuple[str, object]]:
    """Start every callable at the same instant; each result is ("ok", value) or ("error", e)."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def run(i, target):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", target())
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(not t.is_alive() for t in threads)
    return results


def test_two_sweeps_and_resolvers_at_once_move_every_overdue_issue_exactly_once(
    transactional_db,
):
    bulk_issues(400, due_at=DUE, divisions=VILLAGES)
    ids = list(Issue.objects.order_by("id").values_list("id", flat=True))
    to_resolve = [ids[i::3] for i in range(2)]  # two resolvers, a third of the issues each
    to_resolve = [chunk[:60] for chunk in to_resolve]

    def sweeper():
        return sweep.escalate_overdue(as_of=AS_OF, batch_size=25)

    def resolver(chunk):
        def run():
            for pk in chunk:
                services.resolve_issue(actor=None, issue=pk, resolution="已办结", now=AS_OF)
            return len(chunk)

        return run

    results = run_together([sweeper, sweeper, resolver(to_resolve[0]), resolver(to_resolve[1])])

    assert [kind for kind, _value in results] == ["ok"] * 4, results
    swept = results[0][1]["village"] + results[1][1]["village"]
    escalations = Counter(
        IssueEvent.objects.filter(kind="escalated", reason="overdue").values_list(
            "issue_id", flat=True
        )
    )
    assert swept == sum(escalations.values())
    assert max(escalations.values()) == 1
    resolved = set(to_resolve[0]) | set(to_resolve[1])
    rows = {row.pk: row for row in Issue.objects.all()}
    for pk, row in rows.items():
        if pk in resolved:
            assert row.status == "resolved"
            events = list(row.events.order_by("id").values_list("kind", flat=True))
            # Resolved first: never escalated afterwards. Escalated first: resolved at town.
            assert events in (["raised", "resolved"], ["raised", "escalated", "resolved"])
        else:
            assert (row.tier, escalations[pk]) == ("town", 1), pk
    # A second sweep at the same moment finds nothing left to move.
    assert sum(sweep.escalate_overdue(as_of=AS_OF).values()) == 0


def test_twenty_leaders_claiming_one_issue_leave_exactly_one_winner(transactional_db):
    keqiao = division("330603000000")
    leaders = [UserFactory(username=f"leader{i}") for i in range(20)]
    for user in leaders:
        MembershipFactory(user=user, division=keqiao, role=Membership.Role.LEADER)
    issue = IssueFactory(division=division("330603008250"))
    for _ in range(2):
        issue = services.escalate_issue(actor=None, issue=issue, reason="multi_level")
    assert issue.tier == "county"

    results = run_together(
        [lambda u=user: services.claim_issue(actor=u, issue=issue.pk) for user in leaders]
    )

    winners = [value for kind, value in results if kind == "ok"]
    errors = [value for kind, value in results if kind == "error"]
    assert len(winners) == 1
    assert len(errors) == 19
    assert all(type(e) is TransitionError for e in errors), errors
    row = Issue.objects.get(pk=issue.pk)
    assert row.status == "claimed"
    assert row.claimed_by_id == winners[0].claimed_by_id
    assert row.events.filter(kind="claimed").count() == 1
    assert row.version == issue.version + 1
