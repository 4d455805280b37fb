"""Random sequences of every transition, by the right people and the wrong ones, and the
sweep as the clock moves on; after each step the issues obey the escalation rules and their
timelines replay to their rows. The departments' work orders take part: assignments with
co-handlers, 签收, 退单 and arbitration, progress, 延期 and 督办; replaying checks that no
department hands back after an arbitration and that no tier grants more extensions than the
limit, and the sweep never moves an issue before its (extended) deadline."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
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
from dispatch.models import TIERS, Department, ancestor_code, tier_index
from issues import services, sweep
from issues.models import Issue, IssueEvent

from ..factories import (
    CategoryFactory,
    DepartmentFactory,
    DepartmentMembershipFactory,
    UserFactory,
    division,
)

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
    "town_dept",
    "town_dept2",
    "county_dept",
]
# Who the work-order transitions are tried by: department members and the offices.
WORK_ACTORS = ["town_dept", "town_dept2", "county_dept", "town_office", "county_office", "outsider"]
STATE_FIELDS = [
    "status",
    "tier",
    "holder_id",
    "department_id",
    "claimed_by_id",
    "escalation_count",
    "returned_from",
    "rating",
    "handed_back_from",
    "arbitrated",
    "extension_count",
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
                "handed_back_from": [],
                "arbitrated": False,
                "extension_count": 0,
                "acknowledged": False,
            }
            continue
        if kind not in (
            IssueEvent.Kind.FEEDBACK,
            IssueEvent.Kind.REOPENED,
            IssueEvent.Kind.COMMENTED,
            IssueEvent.Kind.PUBLISHED,
            IssueEvent.Kind.DECISION_CORRECTED,
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
                handed_back_from=[],
                arbitrated=False,
                extension_count=0,
                acknowledged=False,
            )
            continue
        # Every other step stays at its tier.
        assert event.tier_from == event.tier_to == state["tier"], kind
        if kind in (IssueEvent.Kind.RESOLVED, IssueEvent.Kind.RESOLVED_ON_SPOT):
            state["status"] = "resolved"
        elif kind == IssueEvent.Kind.ASSIGNED:
            arbitrated = event.department_id in state["handed_back_from"]
            assert (event.reason == "arbitrated") == arbitrated
            state.update(
                status="assigned",
                department_id=event.department_id,
                arbitrated=arbitrated,
                acknowledged=False,
            )
        elif kind == IssueEvent.Kind.ACKNOWLEDGED:
            assert state["status"] == "assigned"
            if event.department_id == state["department_id"]:
                assert not state["acknowledged"], "the lead signed twice"
                state["acknowledged"] = True
        elif kind == IssueEvent.Kind.HANDED_BACK:
            assert state["status"] == "assigned"
            assert event.department_id == state["department_id"]
            assert not state["acknowledged"], "handed back after signing"
            assert not state["arbitrated"], "handed back after an arbitration"
            state.update(
                status="claimed" if state["claimed_by_id"] else "open",
                department_id=None,
                handed_back_from=[*state["handed_back_from"], event.department_id],
            )
        elif kind == IssueEvent.Kind.PROGRESS:
            assert state["status"] == "assigned"
        elif kind == IssueEvent.Kind.EXTENSION_DECIDED and event.reason == "approved":
            state["extension_count"] += 1
            assert state["extension_count"] <= django_settings.SANBUFU_EXTENSION_LIMIT
        elif kind == IssueEvent.Kind.CLAIMED:
            assert state["claimed_by_id"] is None
            state.update(status="claimed", claimed_by_id=event.actor_id)
        elif kind == IssueEvent.Kind.FEEDBACK:
            state["rating"] = event.rating
            if event.rating == "unsatisfied":
                state.update(
                    status="open", department_id=None, claimed_by_id=None, acknowledged=False
                )
        elif kind == IssueEvent.Kind.REOPENED:
            state.update(status="open", department_id=None, claimed_by_id=None, acknowledged=False)
    return state


def row_state(issue_id: int) -> dict:
    row = Issue.objects.filter(pk=issue_id).values(*STATE_FIELDS, "acknowledged_at").get()
    row["acknowledged"] = row.pop("acknowledged_at") is not None
    return row


def snapshot() -> tuple:
    return (
        list(Issue.objects.order_by("id").values()),
        IssueEvent.objects.count(),
    )


class EscalationMachine(RuleBasedStateMachine):
    people: dict = {}
    departments: dict = {}
    member_departments: dict = {}
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

    @rule(village=st.sampled_from(["330603008250", "330603008258"]), to_town=st.booleans())
    def raise_issue(self, village, to_town):
        issue = services.raise_issue(
            actor=self.people["village_cadre"] if village == "330603008250" else None,
            division=village,
            category=self.category,
            title=f"问题{len(self.issues)}",
            now=self.tick(),
        )
        self.issues.append(issue.pk)
        self.expected_events[issue.pk] += 1
        if to_town:  # most department work happens at the town: get there sooner
            services.escalate_issue(
                actor=None, issue=issue, reason="multi_department", now=self.tick()
            )
            self.expected_events[issue.pk] += 1

    def assigned_index(self, index: int) -> int:
        """`index` re-aimed at an assigned issue when there is one: the work order's steps
        mostly land where they can happen (the rest still try the others)."""
        assigned = list(
            Issue.objects.filter(pk__in=self.issues, status="assigned")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not assigned and index % 4 != 3:
            # Nothing assigned: the holder's office assigns this one first (if it may).
            self.assign(index, "office", second=bool(index % 2), co=True)
            return index
        if not assigned or index % 4 == 3:
            return index
        return self.issues.index(assigned[index % len(assigned)])

    def role(self, index: int, who: str) -> str:
        """The persona playing `who` on the issue: its lead or co-handling department's
        member, its holder's office, the office one tier up; or a named persona."""
        pk = self.issues[index % len(self.issues)]
        issue = Issue.objects.get(pk=pk)
        members = {d: name for name, d in self.member_departments.items()}
        if who == "lead":
            return members.get(issue.department_id, "outsider")
        if who == "co":
            co = [members[c] for c in issue.co_department_ids() if c in members]
            return co[0] if co else "outsider"
        offices = {"330603008000": "town_office", "330603000000": "county_office"}
        offices["330600000000"] = "city_office"
        if who == "office":
            return offices.get(issue.holder_id, "village_cadre")
        if who == "office_above":
            above = {"town": "county_office", "county": "city_office", "city": "city_leader"}
            return above.get(issue.tier, "town_office")
        return who

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
    @rule(
        index=st.integers(0, 50),
        actor=st.sampled_from(["office", "office", *ACTORS]),
        second=st.booleans(),
        co=st.booleans(),
    )
    def assign(self, index, actor, second, co):
        """Assign to the holder's first or second department (the town has two), the other
        co-handling when asked; re-assigning the one that handed it back is arbitration."""
        pk = self.issues[index % len(self.issues)]
        holder = Issue.objects.values_list("holder_id", flat=True).get(pk=pk)
        choices = self.departments.get(holder, self.departments["330603008000"])
        lead = choices[1 % len(choices)] if second else choices[0]
        others = [d for d in choices if d != lead] if co else []
        actor = self.role(index, actor)
        self.attempt(index, actor, services.assign_issue, department=lead, co_departments=others)

    @precondition(lambda self: self.issues)
    @rule(
        index=st.integers(0, 50),
        actor=st.sampled_from(["lead", "lead", "co", "office", "office_above", *WORK_ACTORS]),
        action=st.sampled_from(
            ["acknowledge", "hand_back", "hand_back", "progress", "reply", "decide", "supervise"]
        ),
        approve=st.booleans(),
    )
    def work(self, index, actor, action, approve):
        calls = {
            "acknowledge": (services.acknowledge_issue, {}),
            "hand_back": (services.hand_back_issue, {"reason": "不属本部门"}),
            "progress": (services.post_progress, {"note": "已办理"}),
            "reply": (services.reply_supervision, {"note": "已落实"}),
            "decide": (services.decide_extension, {"approve": approve}),
            "supervise": (services.supervise_issue, {"note": "请加快"}),
        }
        function, kwargs = calls[action]
        index = self.assigned_index(index)
        self.attempt(index, self.role(index, actor), function, **kwargs)

    @precondition(lambda self: self.issues)
    @rule(
        index=st.integers(0, 50),
        actor=st.sampled_from(["lead", "lead", "office", *WORK_ACTORS, "county_leader"]),
        days=st.integers(0, 12),
    )
    def extension(self, index, actor, days):
        index = self.assigned_index(index)
        self.attempt(
            index, self.role(index, actor), services.request_extension, days=days, reason="等"
        )

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
            if climbed:  # never before its deadline, extended or not
                assert row["due_at"] < self.now
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
            assert row.extension_count <= django_settings.SANBUFU_EXTENSION_LIMIT


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
    town, county, city = "330603008000", "330603000000", "330600000000"
    EscalationMachine.departments = {
        town: [
            DepartmentFactory(name="社会事务办", division=division(town)).pk,
            DepartmentFactory(name="城建办", division=division(town)).pk,
        ],
        county: [DepartmentFactory(name="交通运输局", division=division(county)).pk],
        city: [DepartmentFactory(name="市住建局", division=division(city)).pk],
    }
    members = {}
    for name, dept in (
        ("town_dept", EscalationMachine.departments[town][0]),
        ("town_dept2", EscalationMachine.departments[town][1]),
        ("county_dept", EscalationMachine.departments[county][0]),
    ):
        members[name] = DepartmentMembershipFactory(
            user=UserFactory(username=name), department=Department.objects.get(pk=dept)
        ).user
    EscalationMachine.member_departments = {
        "town_dept": EscalationMachine.departments[town][0],
        "town_dept2": EscalationMachine.departments[town][1],
        "county_dept": EscalationMachine.departments[county][0],
    }
    EscalationMachine.people = {
        **members,
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
    EscalationMachine.category = CategoryFactory(code="water")

    run_state_machine_as_test(
        EscalationMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
