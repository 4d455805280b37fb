"""Random sequences of every transition, by the right people and the wrong ones, and the
sweep as the clock moves on; after each step the issues obey the escalation rules and their
timelines replay to their rows."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from common.errors import DomainError
from dispatch.models import TIERS, ancestor_code, tier_index
from issues import services, sweep
from issues.models import Issue, IssueEvent

from ..factories import CategoryFactory, DepartmentFactory, division

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
ACTORS = [
    "village_cadre",
    "town_office",
    "county_office",
    "county_leader",
    "second_county_leader",
    "city_office",
    "city_leader",
    "other_town_office",
    "outsider",
]
STATE_FIELDS = [
    "status",
    "tier",
    "holder_id",
    "department_id",
    "claimed_by_id",
    "escalation_count",
    "returned_from",
    "rating",
]


def replay(events) -> dict:
    """Fold an issue's timeline, oldest first, into the state its row should hold. Asserts
    on the way that each step fits the state before it."""
    state: dict = {}
    for event in events:
        kind = event.kind
        if kind == IssueEvent.Kind.RAISED:
            assert not state, "raised twice"
            origin = event.issue.division_id
            state = {
                "status": "open",
                "tier": "village",
                "holder_id": origin,
                "department_id": None,
                "claimed_by_id": None,
                "escalation_count": 0,
                "returned_from": [],
                "rating": "",
            }
            continue
        if kind not in (IssueEvent.Kind.FEEDBACK, IssueEvent.Kind.REOPENED) and kind not in (
            IssueEvent.Kind.COMMENTED,
        ):
            assert state["status"] != "resolved", f"{kind} on a resolved issue"
        if kind in (IssueEvent.Kind.FEEDBACK, IssueEvent.Kind.REOPENED):
            assert state["status"] == "resolved", f"{kind} on an unresolved issue"
        if kind in (IssueEvent.Kind.ESCALATED, IssueEvent.Kind.RETURNED):
            step = 1 if kind == IssueEvent.Kind.ESCALATED else -1
            assert event.tier_from == state["tier"]
            assert tier_index(event.tier_to) == tier_index(event.tier_from) + step
            if kind == IssueEvent.Kind.ESCALATED:
                state["escalation_count"] += 1
            else:
                assert event.tier_from not in state["returned_from"], "returned twice"
                state["returned_from"] = [*state["returned_from"], event.tier_from]
            state.update(
                tier=event.tier_to,
                holder_id=ancestor_code(event.issue.division_id, event.tier_to),
                status="open",
                department_id=None,
                claimed_by_id=None,
            )
            continue
        # Every other step stays at its tier.
        assert event.tier_from == event.tier_to == state["tier"], kind
        if kind in (IssueEvent.Kind.RESOLVED, IssueEvent.Kind.RESOLVED_ON_SPOT):
            state["status"] = "resolved"
        elif kind == IssueEvent.Kind.ASSIGNED:
            state.update(status="assigned", department_id=event.department_id)
        elif kind == IssueEvent.Kind.CLAIMED:
            assert state["claimed_by_id"] is None
            state.update(status="claimed", claimed_by_id=event.actor_id)
        elif kind == IssueEvent.Kind.FEEDBACK:
            state["rating"] = event.rating
            if event.rating == "unsatisfied":
                state.update(status="open", department_id=None, claimed_by_id=None)
        elif kind == IssueEvent.Kind.REOPENED:
            state.update(status="open", department_id=None, claimed_by_id=None)
    return state


def row_state(issue_id: int) -> dict:
    return Issue.objects.filter(pk=issue_id).values(*STATE_FIELDS).get()


def snapshot() -> tuple:
    return (
        list(Issue.objects.order_by("id").values()),
        IssueEvent.objects.count(),
    )


class EscalationMachine(RuleBasedStateMachine):
    people: dict = {}
    departments: dict = {}
    category = None

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at its end: a clean slate every time.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.now = T0
        self.issues: list[int] = []
        self.expected_events: Counter = Counter()

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def tick(self, minutes: int = 7) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    @rule(village=st.sampled_from(["330603008250", "330603008258"]))
    def raise_issue(self, village):
        issue = services.raise_issue(
            actor=self.people["village_cadre"] if village == "330603008250" else None,
            division=village,
            category=self.category,
            title=f"问题{len(self.issues)}",
            now=self.tick(),
        )
        self.issues.append(issue.pk)
        self.expected_events[issue.pk] += 1

    def attempt(self, index: int, actor: str, action, **kwargs):
        """Run one transition; on success exactly one event, on refusal nothing changes."""
        pk = self.issues[index % len(self.issues)]
        before = snapshot()
        user = self.people[actor]
        try:
            action(actor=user, issue=pk, now=self.tick(), **kwargs)
        except (DomainError, ValidationError):
            assert snapshot() == before
            return
        self.expected_events[pk] += 1

    @precondition(lambda self: self.issues)
    @rule(
        index=st.integers(0, 50),
        actor=st.sampled_from(ACTORS),
        action=st.sampled_from(
            ["resolve_on_spot", "resolve", "escalate", "return", "claim", "reopen", "supervise"]
        ),
    )
    def transition(self, index, actor, action):
        calls = {
            "resolve_on_spot": (services.resolve_on_spot, {"resolution": "当场解决"}),
            "resolve": (services.resolve_issue, {"resolution": "已办结"}),
            "escalate": (services.escalate_issue, {"reason": "beyond_authority"}),
            "return": (services.return_issue, {"reason": "属下级事务"}),
            "claim": (services.claim_issue, {}),
            "reopen": (services.reopen_issue, {}),
            "supervise": (services.supervise_issue, {}),
        }
        function, kwargs = calls[action]
        self.attempt(index, actor, function, **kwargs)

    @precondition(lambda self: self.issues)
    @rule(index=st.integers(0, 50), actor=st.sampled_from(ACTORS))
    def assign(self, index, actor):
        pk = self.issues[index % len(self.issues)]
        holder = Issue.objects.values_list("holder_id", flat=True).get(pk=pk)
        department = self.departments.get(holder, self.departments["330603008000"])
        self.attempt(index, actor, services.assign_issue, department=department)

    @precondition(lambda self: self.issues)
    @rule(
        index=st.integers(0, 50),
        actor=st.sampled_from(["village_cadre", "town_office", "county_leader", "outsider"]),
        rating=st.sampled_from(["satisfied", "basically_satisfied", "unsatisfied"]),
    )
    def feedback(self, index, actor, rating):
        self.attempt(index, actor, services.record_feedback, rating=rating)

    @precondition(lambda self: self.issues)
    @rule(index=st.integers(0, 50), actor=st.sampled_from(ACTORS))
    def comment(self, index, actor):
        self.attempt(index, actor, services.comment_issue, note="跟进")

    @rule(days=st.integers(0, 45))
    def sweep(self, days):
        self.now += timedelta(days=days, hours=1)
        before = {
            row["id"]: row
            for row in Issue.objects.values("id", "tier", "status", "due_at", "supervised_at")
        }
        moved = sweep.escalate_overdue(as_of=self.now, batch_size=3)
        overdue = [
            r for r in before.values() if r["status"] != "resolved" and r["due_at"] < self.now
        ]
        expected = Counter(r["tier"] for r in overdue if r["tier"] != "city")
        for tier in ("village", "town", "county"):
            assert moved[tier] == expected[tier]
        assert moved["city"] == sum(
            1 for r in overdue if r["tier"] == "city" and r["supervised_at"] is None
        )
        after = dict(Issue.objects.values_list("id", "tier"))
        for pk, row in before.items():
            climbed = tier_index(after[pk]) - tier_index(row["tier"])
            is_moved = row in overdue and row["tier"] != "city"
            assert climbed == (1 if is_moved else 0)
            if is_moved or (row in overdue and row["supervised_at"] is None):
                self.expected_events[pk] += 1

    @invariant()
    def timelines_replay_to_the_rows(self):
        events = IssueEvent.objects.select_related("issue").order_by("id")
        by_issue: dict[int, list] = {}
        for event in events:
            by_issue.setdefault(event.issue_id, []).append(event)
        assert set(by_issue) == set(self.issues)
        for pk in self.issues:
            timeline = by_issue[pk]
            assert len(timeline) == self.expected_events[pk]
            assert replay(timeline) == row_state(pk)
            returned = Counter(e.tier_from for e in timeline if e.kind == "returned")
            assert all(n == 1 for n in returned.values())
            row = Issue.objects.get(pk=pk)
            assert row.holder_id == ancestor_code(row.division_id, row.tier)
            assert tier_index(row.peak_tier) == max(
                tier_index(e.tier_to or "village") for e in timeline
            )
            assert row.tier in TIERS


@pytest.mark.slow
def test_random_transitions_and_sweeps_keep_every_issue_consistent(
    shaoxing,
    village_cadre,
    town_office,
    county_office,
    county_leader,
    second_county_leader,
    city_office,
    city_leader,
    other_town_office,
    outsider,
):
    EscalationMachine.people = {
        "village_cadre": village_cadre,
        "town_office": town_office,
        "county_office": county_office,
        "county_leader": county_leader,
        "second_county_leader": second_county_leader,
        "city_office": city_office,
        "city_leader": city_leader,
        "other_town_office": other_town_office,
        "outsider": outsider,
    }
    EscalationMachine.departments = {
        code: DepartmentFactory(name=f"部门{code}", division=division(code)).pk
        for code in ("330603008000", "330603000000", "330600000000")
    }
    EscalationMachine.category = CategoryFactory(code="water")

    run_state_machine_as_test(
        EscalationMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
