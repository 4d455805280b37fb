"""Every transition of an issue: the normal path, the wrong state, the wrong user, twice, a
stale version, and exactly one event on the timeline; then the escalation rules and the
notifications they send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from common.errors import NotFound, NotPermitted, StaleVersion, TransitionError
from dispatch.models import Tier
from issues import services
from issues.deadlines import add_working_days
from issues.models import Issue, IssueEvent

from ..factories import CategoryFactory, DepartmentFactory, IssueFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday with plain working days all around (2026-11-17), so deadlines are easy to read.
T0 = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(
    shaoxing,
    village_cadre,
    community_cadre,
    town_office,
    other_town_office,
    county_office,
    county_leader,
    second_county_leader,
    city_office,
    city_leader,
    superuser,
    outsider,
):
    return {
        "village_cadre": village_cadre,
        "community_cadre": community_cadre,
        "town_office": town_office,
        "other_town_office": other_town_office,
        "county_office": county_office,
        "county_leader": county_leader,
        "second_county_leader": second_county_leader,
        "city_office": city_office,
        "city_leader": city_leader,
        "superuser": superuser,
        "outsider": outsider,
    }


def raised(people, **kwargs) -> Issue:
    """An issue raised by the cadre in 兰亭村 at T0."""
    kwargs.setdefault("actor", people["village_cadre"])
    kwargs.setdefault("now", T0)
    return IssueFactory(**kwargs)


def at_tier(people, tier: str, **kwargs) -> Issue:
    """An issue raised in 兰亭村 and escalated by its holders up to `tier`."""
    issue = raised(people, **kwargs)
    actors = {
        Tier.VILLAGE: people["village_cadre"],
        Tier.TOWN: people["town_office"],
        Tier.COUNTY: people["county_office"],
    }
    while issue.tier != tier:
        issue = services.escalate_issue(
            actor=actors[issue.tier], issue=issue, reason="beyond_authority", now=T0
        )
    return issue


def resolved_at_town(people) -> Issue:
    issue = at_tier(people, Tier.TOWN)
    return services.resolve_issue(actor=people["town_office"], issue=issue, resolution="修好了")


def department_of_lanting():
    from dispatch.models import Division

    return DepartmentFactory(
        name="兰亭街道城建办", division=Division.objects.get(pk="330603008000")
    )


@dataclass
class Case:
    """One transition: how to bring an issue to where it applies, who may do it, who sees
    it but may not, who does not see it, and the call itself."""

    name: str
    setup: Any
    actor: str
    bystander: str | None  # sees the issue but may not do this
    stranger: str  # outside the jurisdiction
    call: Any
    event: str

    def __str__(self) -> str:
        return self.name


CASES = [
    Case(
        "resolve_on_spot",
        lambda p: raised(p),
        "village_cadre",
        "town_office",
        "community_cadre",
        lambda actor, issue, **kw: services.resolve_on_spot(
            actor=actor, issue=issue, resolution="当场修好", **kw
        ),
        IssueEvent.Kind.RESOLVED_ON_SPOT,
    ),
    Case(
        "resolve",
        lambda p: at_tier(p, Tier.TOWN),
        "town_office",
        "village_cadre",
        "other_town_office",
        lambda actor, issue, **kw: services.resolve_issue(
            actor=actor, issue=issue, resolution="协调解决", **kw
        ),
        IssueEvent.Kind.RESOLVED,
    ),
    Case(
        "escalate",
        lambda p: raised(p),
        "village_cadre",
        "town_office",
        "community_cadre",
        lambda actor, issue, **kw: services.escalate_issue(
            actor=actor, issue=issue, reason="multi_department", **kw
        ),
        IssueEvent.Kind.ESCALATED,
    ),
    Case(
        "return",
        lambda p: at_tier(p, Tier.TOWN),
        "town_office",
        "village_cadre",
        "other_town_office",
        lambda actor, issue, **kw: services.return_issue(
            actor=actor, issue=issue, reason="村里能解决", **kw
        ),
        IssueEvent.Kind.RETURNED,
    ),
    Case(
        "assign",
        lambda p: at_tier(p, Tier.TOWN),
        "town_office",
        "village_cadre",
        "other_town_office",
        lambda actor, issue, **kw: services.assign_issue(
            actor=actor, issue=issue, department=department_of_lanting(), **kw
        ),
        IssueEvent.Kind.ASSIGNED,
    ),
    Case(
        "claim",
        lambda p: at_tier(p, Tier.COUNTY),
        "county_leader",
        "county_office",
        "other_town_office",
        lambda actor, issue, **kw: services.claim_issue(actor=actor, issue=issue, **kw),
        IssueEvent.Kind.CLAIMED,
    ),
    Case(
        "feedback",
        resolved_at_town,
        "town_office",
        "village_cadre",  # the raiser: it is their work being rated
        "community_cadre",
        lambda actor, issue, **kw: services.record_feedback(
            actor=actor, issue=issue, rating="satisfied", **kw
        ),
        IssueEvent.Kind.FEEDBACK,
    ),
    Case(
        "reopen",
        resolved_at_town,
        "town_office",
        "village_cadre",
        "other_town_office",
        lambda actor, issue, **kw: services.reopen_issue(actor=actor, issue=issue, **kw),
        IssueEvent.Kind.REOPENED,
    ),
    Case(
        "comment",
        lambda p: at_tier(p, Tier.TOWN),
        "county_leader",
        None,
        "other_town_office",
        lambda actor, issue, **kw: services.comment_issue(
            actor=actor, issue=issue, note="请尽快处理", **kw
        ),
        IssueEvent.Kind.COMMENTED,
    ),
    Case(
        "supervise",
        lambda p: at_tier(p, Tier.COUNTY),
        "county_office",
        "village_cadre",
        "other_town_office",
        lambda actor, issue, **kw: services.supervise_issue(actor=actor, issue=issue, **kw),
        IssueEvent.Kind.SUPERVISED,
    ),
]


def snapshot(issue: Issue) -> dict:
    row = Issue.objects.filter(pk=issue.pk).values().get()
    return {"row": row, "events": list(issue.events.values_list("id", flat=True))}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_transition_writes_exactly_one_event_and_bumps_the_version(people, case):
    issue = case.setup(people)
    events_before = issue.events.count()
    version = Issue.objects.get(pk=issue.pk).version

    result = case.call(people[case.actor], issue.pk, version=version)

    assert issue.events.count() == events_before + 1
    last = issue.events.order_by("-id").first()
    assert last.kind == case.event
    assert last.actor == people[case.actor]
    row = Issue.objects.get(pk=issue.pk)
    # A comment leaves the row alone; every other transition moves the version on.
    assert row.version == version + (0 if case.name == "comment" else 1)
    assert result.pk == issue.pk


@pytest.mark.parametrize("case", [c for c in CASES if c.bystander], ids=str)
def test_transition_by_someone_who_sees_but_may_not_act_is_not_permitted(people, case):
    issue = case.setup(people)
    before = snapshot(issue)
    assert Issue.objects.visible_to(people[case.bystander]).filter(pk=issue.pk).exists()

    with pytest.raises(NotPermitted):
        case.call(people[case.bystander], issue.pk)

    assert snapshot(issue) == before


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("who", ["stranger", "outsider"])
def test_transition_outside_the_jurisdiction_is_not_found(people, case, who):
    issue = case.setup(people)
    before = snapshot(issue)
    actor = people[case.stranger] if who == "stranger" else people["outsider"]

    with pytest.raises(NotFound):
        case.call(actor, issue.pk)

    assert snapshot(issue) == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_transition_with_a_stale_version_conflicts_and_changes_nothing(people, case):
    issue = case.setup(people)
    services.comment_issue(actor=people["superuser"], issue=issue.pk, note="先看一下")
    stale = Issue.objects.get(pk=issue.pk).version - 1
    before = snapshot(issue)

    with pytest.raises(StaleVersion):
        case.call(people[case.actor], issue.pk, version=stale)

    assert snapshot(issue) == before


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "comment"], ids=str)
def test_transition_submitted_twice_with_the_same_version_happens_once(people, case):
    issue = case.setup(people)
    version = Issue.objects.get(pk=issue.pk).version
    case.call(people[case.actor], issue.pk, version=version)
    before = snapshot(issue)

    with pytest.raises(StaleVersion):
        case.call(people[case.actor], issue.pk, version=version)

    assert snapshot(issue) == before
    assert issue.events.filter(kind=case.event).count() == 1


@pytest.mark.parametrize(
    "name",
    ["resolve_on_spot", "resolve", "claim", "reopen", "supervise"],
)
def test_transition_that_cannot_repeat_refuses_the_second_time(people, name):
    case = next(c for c in CASES if c.name == name)
    issue = case.setup(people)
    case.call(people[case.actor], issue.pk)
    before = snapshot(issue)

    with pytest.raises(TransitionError):
        case.call(people[case.actor], issue.pk)

    assert snapshot(issue) == before


def test_escalating_twice_from_the_front_line_leaves_the_second_to_the_town(people):
    issue = raised(people)
    services.escalate_issue(actor=people["village_cadre"], issue=issue, reason="multi_level")

    # The cadre no longer holds it: the double click is refused, the issue stays at town.
    with pytest.raises(NotPermitted):
        services.escalate_issue(actor=people["village_cadre"], issue=issue, reason="multi_level")

    row = Issue.objects.get(pk=issue.pk)
    assert row.tier == Tier.TOWN
    assert row.escalation_count == 1


# Wrong state: each transition on an issue where it does not fit. ---------------------------


def wrong_state_cases():
    def resolved_on_spot(p):
        issue = raised(p)
        return services.resolve_on_spot(actor=p["village_cadre"], issue=issue, resolution="好了")

    def returned_to_village(p):
        issue = at_tier(p, Tier.TOWN)
        return services.return_issue(actor=p["town_office"], issue=issue, reason="村里办")

    def returned_then_back_at_town(p):
        issue = returned_to_village(p)
        return services.escalate_issue(
            actor=p["village_cadre"], issue=issue, reason="coordination_failed"
        )

    return [
        ("resolve_on_spot", "village_cadre", resolved_on_spot),
        # Back at the front line after an escalation: no longer "new", not on the spot.
        ("resolve_on_spot", "village_cadre", returned_to_village),
        ("resolve", "town_office", resolved_at_town),
        ("escalate", "village_cadre", resolved_on_spot),
        ("escalate", "city_office", lambda p: at_tier(p, Tier.CITY)),
        ("return", "town_office", returned_then_back_at_town),
        ("return", "city_office", lambda p: at_tier(p, Tier.CITY)),
        ("assign", "superuser", lambda p: raised(p)),
        ("assign", "town_office", resolved_at_town),
        ("claim", "superuser", lambda p: at_tier(p, Tier.TOWN)),
        ("feedback", "town_office", lambda p: at_tier(p, Tier.TOWN)),
        ("reopen", "town_office", lambda p: at_tier(p, Tier.TOWN)),
        ("supervise", "town_office", resolved_at_town),
    ]


@pytest.mark.parametrize(
    ("name", "actor", "setup"),
    wrong_state_cases(),
    ids=[f"{n}-{s.__name__}" for n, _a, s in wrong_state_cases()],
)
def test_transition_in_the_wrong_state_is_refused_and_changes_nothing(people, name, actor, setup):
    case = next(c for c in CASES if c.name == name)
    issue = setup(people)
    before = snapshot(issue)

    with pytest.raises(TransitionError) as info:
        case.call(people[actor], issue.pk)

    assert not isinstance(info.value, StaleVersion)
    assert info.value.message
    assert snapshot(issue) == before


# Escalation, return, feedback ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "actor", "holder"),
    [
        (Tier.VILLAGE, "village_cadre", "330603008000"),
        (Tier.TOWN, "town_office", "330603000000"),
        (Tier.COUNTY, "county_office", "330600000000"),
    ],
)
def test_escalation_moves_exactly_one_tier_and_starts_the_new_tiers_deadline(
    people, start, actor, holder, settings
):
    issue = at_tier(people, start)
    if start == Tier.COUNTY:
        issue = services.claim_issue(actor=people["county_leader"], issue=issue)
        actor = "county_leader"
    later = datetime(2026, 11, 19, 15, 30, tzinfo=SHANGHAI)

    services.escalate_issue(
        actor=people[actor], issue=issue.pk, reason="beyond_authority", note="需上级", now=later
    )

    row = Issue.objects.get(pk=issue.pk)
    new_tier = {"village": "town", "town": "county", "county": "city"}[start]
    assert row.tier == new_tier
    assert row.holder_id == holder
    assert row.status == Issue.Status.OPEN
    assert row.claimed_by is None and row.department is None
    assert row.arrived_at == later
    assert row.due_at == add_working_days(later, settings.SANBUFU_DEADLINE_DAYS[new_tier])
    assert row.escalation_count == issue.escalation_count + 1
    assert row.peak_tier == new_tier
    event = row.events.order_by("-id").first()
    assert (event.kind, event.tier_from, event.tier_to, event.reason, event.note) == (
        "escalated",
        start,
        new_tier,
        "beyond_authority",
        "需上级",
    )


def test_escalation_uses_the_categorys_own_deadline_for_the_new_tier(people):
    category = CategoryFactory(code="pollution", town_days=2)
    issue = raised(people, category=category)

    services.escalate_issue(
        actor=people["village_cadre"], issue=issue, reason="multi_department", now=T0
    )

    # Tuesday 10:00 plus two working days: Thursday 10:00.
    assert Issue.objects.get(pk=issue.pk).due_at == datetime(2026, 11, 19, 10, tzinfo=SHANGHAI)


@pytest.mark.parametrize("reason", ["overdue", "", "because"])
def test_escalation_needs_a_manual_reason_and_writes_nothing_without_one(people, reason):
    issue = raised(people)
    before = snapshot(issue)

    with pytest.raises(ValidationError) as info:
        services.escalate_issue(actor=people["village_cadre"], issue=issue, reason=reason)

    assert "reason" in info.value.message_dict
    assert snapshot(issue) == before


def test_escalation_never_skips_a_tier_from_village_to_city(people):
    issue = raised(people)
    tiers = [issue.tier]
    for actor in ("village_cadre", "town_office", "county_office"):
        issue = services.escalate_issue(actor=people[actor], issue=issue, reason="multi_level")
        tiers.append(issue.tier)

    assert tiers == ["village", "town", "county", "city"]
    assert list(issue.events.filter(kind="escalated").values_list("tier_from", "tier_to")) == [
        ("village", "town"),
        ("town", "county"),
        ("county", "city"),
    ]


def test_return_goes_one_tier_down_at_most_once_from_each_tier(people):
    issue = at_tier(people, Tier.TOWN)
    town, county = people["town_office"], people["county_office"]

    issue = services.return_issue(actor=town, issue=issue, reason="属村级事务", note="请村里办")
    assert (issue.tier, issue.holder_id, issue.returned_from) == (
        "village",
        "330603008250",
        ["town"],
    )
    issue = services.escalate_issue(
        actor=people["village_cadre"], issue=issue, reason="coordination_failed"
    )
    with pytest.raises(TransitionError):
        services.return_issue(actor=town, issue=issue, reason="再退一次")
    # The town must handle it now: it may still escalate it, and the county may return it once.
    issue = services.escalate_issue(actor=town, issue=issue, reason="beyond_authority")
    issue = services.return_issue(actor=county, issue=issue, reason="属镇街事务")
    assert issue.tier == "town"
    issue = services.escalate_issue(actor=town, issue=issue, reason="beyond_authority")
    with pytest.raises(TransitionError):
        services.return_issue(actor=county, issue=issue, reason="再退一次")

    assert issue.events.filter(kind="returned").count() == 2
    assert Issue.objects.get(pk=issue.pk).returned_from == ["town", "county"]


def test_return_requires_a_reason(people):
    issue = at_tier(people, Tier.TOWN)
    with pytest.raises(ValidationError):
        services.return_issue(actor=people["town_office"], issue=issue, reason="  ")
    assert Issue.objects.get(pk=issue.pk).tier == "town"


def test_unsatisfied_feedback_reopens_the_issue_at_the_tier_that_resolved_it(people):
    issue = at_tier(people, Tier.COUNTY)
    services.claim_issue(actor=people["county_leader"], issue=issue)
    services.resolve_issue(actor=people["county_leader"], issue=issue, resolution="已协调", now=T0)
    later = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)

    services.record_feedback(
        actor=people["town_office"], issue=issue, rating="unsatisfied", note="没解决", now=later
    )

    row = Issue.objects.get(pk=issue.pk)
    assert row.status == Issue.Status.OPEN
    assert (row.tier, row.holder_id) == ("county", "330603000000")
    assert row.claimed_by is None and row.resolved_at is None and row.resolved_tier == ""
    assert row.rating == "unsatisfied"
    assert row.arrived_at == later
    assert row.due_at == add_working_days(later, 15)
    assert row.events.filter(kind="feedback").count() == 1
    assert not row.events.filter(kind="reopened").exists()
    # Back on the claim board: the other leader may now claim it.
    services.claim_issue(actor=people["second_county_leader"], issue=issue)


def test_satisfied_feedback_keeps_the_issue_resolved(people):
    issue = resolved_at_town(people)
    services.record_feedback(actor=people["town_office"], issue=issue, rating="satisfied")
    row = Issue.objects.get(pk=issue.pk)
    assert (row.status, row.rating) == ("resolved", "satisfied")


def test_claim_is_taken_by_one_leader_and_is_a_conflict_for_the_other(people):
    issue = at_tier(people, Tier.COUNTY)
    services.claim_issue(actor=people["county_leader"], issue=issue)

    # Losing the race is a conflict (409), not a lack of rights (403).
    with pytest.raises(TransitionError):
        services.claim_issue(actor=people["second_county_leader"], issue=issue)

    row = Issue.objects.get(pk=issue.pk)
    assert row.claimed_by == people["county_leader"]
    assert row.events.filter(kind="claimed").count() == 1


def test_assign_refuses_a_department_of_another_division(people, shaoxing):
    issue = at_tier(people, Tier.TOWN)
    elsewhere = DepartmentFactory(name="府山街道城管科", division=shaoxing.fushan)
    before = snapshot(issue)

    with pytest.raises(ValidationError):
        services.assign_issue(actor=people["town_office"], issue=issue, department=elsewhere)

    assert snapshot(issue) == before


def test_raising_outside_the_jurisdiction_is_not_found_and_creates_nothing(people, shaoxing):
    with pytest.raises(NotFound):
        IssueFactory(actor=people["community_cadre"], division=shaoxing.lanting_village)
    with pytest.raises(NotPermitted):
        IssueFactory(actor=people["county_leader"], division=shaoxing.lanting_village)
    assert not Issue.objects.exists()


def test_raising_starts_at_the_front_line_with_its_deadline_and_one_event(people):
    issue = raised(people)

    assert (issue.tier, issue.holder_id, issue.status) == ("village", "330603008250", "open")
    assert issue.due_at == datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
    assert list(issue.events.values_list("kind", flat=True)) == ["raised"]


# Notifications ------------------------------------------------------------------------------


def test_escalation_emails_the_new_holders_office_members_and_leaders(
    people, eager, django_capture_on_commit_callbacks
):
    issue = at_tier(people, Tier.TOWN)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_issue(actor=people["town_office"], issue=issue, reason="multi_level")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == [
        "county_leader@example.org",
        "county_office@example.org",
        "second_county_leader@example.org",
    ]
    assert issue.title in message.body
    assert f"/issues/{issue.pk}/" in message.body


def test_escalation_from_the_front_line_emails_the_town_office_only(
    people, eager, django_capture_on_commit_callbacks
):
    issue = raised(people)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_issue(actor=people["village_cadre"], issue=issue, reason="multi_level")

    assert [m.to for m in mail.outbox] == [["town_office@example.org"]]


def test_resolution_emails_the_person_who_raised_it(
    people, eager, django_capture_on_commit_callbacks
):
    issue = at_tier(people, Tier.TOWN)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_issue(actor=people["town_office"], issue=issue, resolution="已疏通")

    assert [m.to for m in mail.outbox] == [["village_cadre@example.org"]]
    assert "已疏通" in mail.outbox[0].body


def test_a_failed_transition_sends_nothing(people, eager, django_capture_on_commit_callbacks):
    issue = at_tier(people, Tier.TOWN)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotPermitted):
        services.escalate_issue(actor=people["village_cadre"], issue=issue, reason="multi_level")

    assert mail.outbox == []
