"""Departments' work orders (工单): assigning with a lead and co-handlers, 签收, 退单 and
arbitration, progress notes, 延期 and 督办. Each transition: the normal path, the wrong
state, the wrong user, outside the jurisdiction, twice, and a stale version."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from common.errors import NotFound, NotPermitted, StaleVersion, TransitionError
from dispatch.models import Tier
from issues import services
from issues.deadlines import add_working_days, add_working_hours
from issues.models import CoHandling, Issue, IssueEvent, SupervisionOrder
from issues.rules import allowed_actions
from issues.sweep import escalate_overdue

from ..factories import IssueFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Tuesday 2026-11-17 10:00, plain working days around it.
T0 = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def town_issue(village_cadre, town_office):
    """An issue of 兰亭村 escalated to 兰亭街道 at T0."""
    issue = IssueFactory(actor=village_cadre, now=T0)
    return services.escalate_issue(
        actor=village_cadre, issue=issue, reason="multi_department", now=T0
    )


@pytest.fixture
def assigned(town_issue, town_office, departments, social_member, urban_member):
    """Assigned at T0 by the town office: 社会事务办公室 leads, 城建办 co-handles."""
    return services.assign_issue(
        actor=town_office,
        issue=town_issue,
        department=departments.social,
        co_departments=[departments.urban.pk],
        note="请社会事务办牵头",
        now=T0,
    )


def kinds(issue: Issue) -> list[str]:
    return list(issue.events.order_by("at", "id").values_list("kind", flat=True))


# Working hours ------------------------------------------------------------------------------


def test_working_hours_skip_nights_weekends_and_holidays():
    assert add_working_hours(T0, 8) == datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI)
    assert add_working_hours(friday, 8) == datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI)
    evening = datetime(2026, 11, 17, 20, 0, tzinfo=SHANGHAI)
    assert add_working_hours(evening, 8) == datetime(2026, 11, 18, 17, 0, tzinfo=SHANGHAI)
    # 2026-10-01..07 is the National Day holiday.
    before = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    assert add_working_hours(before, 2).date().isoformat() == "2026-10-08"


# Department members and what they see --------------------------------------------------------


def test_department_member_sees_only_their_departments_issues(
    assigned, village_cadre, social_member, urban_member, safety_member
):
    other = IssueFactory(actor=village_cadre, now=T0)
    assert list(Issue.objects.visible_to(social_member)) == [assigned]
    assert list(Issue.objects.visible_to(urban_member)) == [assigned]  # co-handling
    assert list(Issue.objects.visible_to(safety_member)) == []
    assert other not in Issue.objects.visible_to(social_member)
    with pytest.raises(NotFound):
        services.comment_issue(actor=safety_member, issue=assigned, note="看看")


def test_assign_names_a_lead_and_co_handlers_and_opens_the_ack_window(assigned, departments):
    assert assigned.status == Issue.Status.ASSIGNED
    assert assigned.department == departments.social
    assert list(assigned.co_departments.all()) == [departments.urban]
    assert assigned.ack_due_at == datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)
    assert assigned.acknowledged_at is None
    event = assigned.events.get(kind=IssueEvent.Kind.ASSIGNED)
    assert event.department == departments.social
    assert list(event.co_departments.all()) == [departments.urban]


def test_assign_refuses_co_handlers_of_another_division_or_the_lead_itself(
    town_issue, town_office, departments
):
    for co in ([departments.transport.pk], [departments.social.pk], [999999], ["x"]):
        with pytest.raises(ValidationError) as caught:
            services.assign_issue(
                actor=town_office,
                issue=town_issue,
                department=departments.social,
                co_departments=co,
                now=T0,
            )
        assert "co_departments" in caught.value.message_dict
    town_issue.refresh_from_db()
    assert town_issue.status == Issue.Status.OPEN
    assert not CoHandling.objects.exists()


def test_reassigning_replaces_the_co_handlers(assigned, town_office, departments, urban_member):
    services.assign_issue(
        actor=town_office,
        issue=assigned,
        department=departments.social,
        co_departments=[departments.safety.pk],
        now=T0,
    )
    assert list(assigned.co_departments.all()) == [departments.safety]
    assert assigned not in Issue.objects.visible_to(urban_member)


def test_a_claiming_leader_assigns_with_co_handlers(
    village_cadre, town_office, county_leader, departments, transport_member
):
    issue = IssueFactory(actor=village_cadre, now=T0)
    issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level", now=T0)
    issue = services.escalate_issue(actor=town_office, issue=issue, reason="multi_level", now=T0)
    services.claim_issue(actor=county_leader, issue=issue, now=T0)
    issue = services.assign_issue(
        actor=county_leader, issue=issue, department=departments.transport, now=T0
    )
    assert issue in Issue.objects.visible_to(transport_member)
    assert "acknowledge" in allowed_actions(transport_member, issue)
    # Handed back, it is the claiming leader's again.
    issue = services.hand_back_issue(actor=transport_member, issue=issue, reason="不属", now=T0)
    assert issue.status == Issue.Status.CLAIMED and issue.claimed_by == county_leader
    assert "assign" in allowed_actions(county_leader, issue)


# 签收 -----------------------------------------------------------------------------------------


def test_lead_and_co_handler_each_acknowledge_once(assigned, social_member, urban_member):
    later = T0 + timedelta(hours=1)
    issue = services.acknowledge_issue(actor=social_member, issue=assigned, now=later)
    assert issue.acknowledged_at == later
    with pytest.raises(TransitionError):
        services.acknowledge_issue(actor=social_member, issue=assigned, now=later)
    services.acknowledge_issue(actor=urban_member, issue=assigned, now=later)
    assert CoHandling.objects.get().acknowledged_at == later
    with pytest.raises(TransitionError):
        services.acknowledge_issue(actor=urban_member, issue=assigned, now=later)
    events = assigned.events.filter(kind=IssueEvent.Kind.ACKNOWLEDGED)
    assert [e.department.name for e in events] == ["社会事务办公室", "城建办"]


def test_acknowledge_refuses_the_office_outsiders_and_a_resolved_issue(
    assigned, town_office, safety_member, social_member
):
    with pytest.raises(NotPermitted):
        services.acknowledge_issue(actor=town_office, issue=assigned, now=T0)
    with pytest.raises(NotFound):
        services.acknowledge_issue(actor=safety_member, issue=assigned, now=T0)
    services.resolve_issue(actor=town_office, issue=assigned, resolution="已办", now=T0)
    with pytest.raises(TransitionError):
        services.acknowledge_issue(actor=social_member, issue=assigned, now=T0)
    assert not assigned.events.filter(kind=IssueEvent.Kind.ACKNOWLEDGED).exists()


def test_acknowledge_with_a_stale_version_changes_nothing(assigned, social_member):
    with pytest.raises(StaleVersion):
        services.acknowledge_issue(
            actor=social_member, issue=assigned, version=assigned.version - 1, now=T0
        )
    assigned.refresh_from_db()
    assert assigned.acknowledged_at is None


def test_acknowledging_late_is_still_signing_but_red_until_then(assigned, social_member):
    late = T0 + timedelta(days=2)
    assert assigned.ack_state(late) == "red"
    assert assigned.ack_state(T0) == "green"
    issue = services.acknowledge_issue(actor=social_member, issue=assigned, now=late)
    assert issue.ack_state(late) == ""


# 退单 and arbitration -------------------------------------------------------------------------


def test_lead_hands_back_within_the_window(assigned, social_member, town_office, departments):
    issue = services.hand_back_issue(
        actor=social_member, issue=assigned, reason="不属本部门职责", now=T0 + timedelta(hours=2)
    )
    assert issue.status == Issue.Status.OPEN
    assert issue.department is None
    assert issue.handed_back_from == [departments.social.pk]
    assert not CoHandling.objects.exists()
    assert kinds(issue)[-1] == IssueEvent.Kind.HANDED_BACK
    assert issue not in Issue.objects.visible_to(social_member)
    assert "assign" in allowed_actions(town_office, issue)


def test_hand_back_refused_after_the_window_after_signing_and_to_others(
    assigned, social_member, urban_member, town_office
):
    with pytest.raises(TransitionError):
        services.hand_back_issue(
            actor=social_member,
            issue=assigned,
            reason="不属本部门",
            now=T0 + timedelta(days=1, hours=1),
        )
    with pytest.raises(NotPermitted):
        services.hand_back_issue(actor=urban_member, issue=assigned, reason="不属本部门", now=T0)
    with pytest.raises(NotPermitted):
        services.hand_back_issue(actor=town_office, issue=assigned, reason="不属本部门", now=T0)
    services.acknowledge_issue(actor=social_member, issue=assigned, now=T0)
    with pytest.raises(TransitionError):
        services.hand_back_issue(actor=social_member, issue=assigned, reason="不属本部门", now=T0)
    with pytest.raises(ValidationError):
        services.hand_back_issue(actor=social_member, issue=assigned, reason="  ", now=T0)
    assigned.refresh_from_db()
    assert assigned.status == Issue.Status.ASSIGNED
    assert not assigned.events.filter(kind=IssueEvent.Kind.HANDED_BACK).exists()


def test_assigning_the_same_department_again_is_an_arbitration(
    assigned, social_member, town_office, departments
):
    services.hand_back_issue(actor=social_member, issue=assigned, reason="不属本部门", now=T0)
    with pytest.raises(NotFound):  # twice: it is no longer theirs to see
        services.hand_back_issue(actor=social_member, issue=assigned, reason="再退", now=T0)
    issue = services.assign_issue(
        actor=town_office, issue=assigned, department=departments.social, now=T0
    )
    assert issue.arbitrated
    assert "hand_back" not in allowed_actions(social_member, issue)
    with pytest.raises(TransitionError):
        services.hand_back_issue(actor=social_member, issue=issue, reason="再退", now=T0)
    assert issue.events.get(kind=IssueEvent.Kind.ASSIGNED, reason="arbitrated")


def test_assigning_another_department_after_a_hand_back_is_no_arbitration(
    assigned, social_member, town_office, departments, safety_member
):
    services.hand_back_issue(actor=social_member, issue=assigned, reason="不属本部门", now=T0)
    issue = services.assign_issue(
        actor=town_office, issue=assigned, department=departments.safety, now=T0
    )
    assert not issue.arbitrated
    issue = services.hand_back_issue(actor=safety_member, issue=issue, reason="也不属", now=T0)
    assert issue.handed_back_from == [departments.social.pk, departments.safety.pk]


# Progress -----------------------------------------------------------------------------------


def test_lead_and_co_handlers_post_progress(assigned, social_member, urban_member, town_office):
    services.post_progress(actor=urban_member, issue=assigned, note="城建办已现场勘查", now=T0)
    services.post_progress(actor=social_member, issue=assigned, note="已约谈", now=T0)
    notes = assigned.events.filter(kind=IssueEvent.Kind.PROGRESS)
    assert [(e.department.name, e.note) for e in notes] == [
        ("城建办", "城建办已现场勘查"),
        ("社会事务办公室", "已约谈"),
    ]
    with pytest.raises(ValidationError):
        services.post_progress(actor=urban_member, issue=assigned, note=" ", now=T0)
    with pytest.raises(NotPermitted):
        services.post_progress(actor=town_office, issue=assigned, note="x", now=T0)
    with pytest.raises(StaleVersion):
        services.post_progress(actor=urban_member, issue=assigned, note="x", version=1, now=T0)
    services.resolve_issue(actor=social_member, issue=assigned, resolution="已办结", now=T0)
    with pytest.raises(TransitionError):
        services.post_progress(actor=urban_member, issue=assigned, note="x", now=T0)


def test_only_the_lead_or_the_office_resolves(assigned, social_member, urban_member):
    with pytest.raises(NotPermitted):
        services.resolve_issue(actor=urban_member, issue=assigned, resolution="x", now=T0)
    issue = services.resolve_issue(actor=social_member, issue=assigned, resolution="已办结", now=T0)
    assert issue.status == Issue.Status.RESOLVED
    assert issue in Issue.objects.visible_to(urban_member)  # co-handlers still see it


# 延期 -----------------------------------------------------------------------------------------


def test_department_request_is_decided_by_its_office_from_the_current_deadline(
    assigned, social_member, town_office, county_office
):
    due = assigned.due_at
    issue = services.request_extension(
        actor=social_member, issue=assigned, days=5, reason="需等待检测结果", now=T0
    )
    assert issue.pending_extension.department_id == assigned.department_id
    assert issue.due_at == due  # the clock does not stop
    assert "decide_extension" not in allowed_actions(county_office, issue)
    with pytest.raises(NotPermitted):
        services.decide_extension(actor=county_office, issue=issue, approve=True, now=T0)
    with pytest.raises(TransitionError):
        services.request_extension(actor=social_member, issue=issue, days=1, reason="再", now=T0)
    issue = services.decide_extension(actor=town_office, issue=issue, approve=True, now=T0)
    assert issue.due_at == add_working_days(due, 5)
    assert issue.extension_count == 1
    assert issue.pending_extension is None
    with pytest.raises(TransitionError):
        services.decide_extension(actor=town_office, issue=issue, approve=True, now=T0)
    assert kinds(issue)[-2:] == ["extension_requested", "extension_decided"]


def test_rejection_leaves_the_deadline(assigned, social_member, town_office):
    due = assigned.due_at
    services.request_extension(actor=social_member, issue=assigned, days=3, reason="等", now=T0)
    issue = services.decide_extension(
        actor=town_office, issue=assigned, approve=False, note="时限内可办", now=T0
    )
    assert issue.due_at == due and issue.extension_count == 0
    assert issue.events.filter(kind="extension_decided", reason="rejected").count() == 1


def test_an_offices_request_is_decided_one_tier_up(town_issue, town_office, county_office):
    issue = services.request_extension(
        actor=town_office, issue=town_issue, days=2, reason="需协调", now=T0
    )
    assert issue.pending_extension.department is None
    with pytest.raises(NotPermitted):
        services.decide_extension(actor=town_office, issue=issue, approve=True, now=T0)
    issue = services.decide_extension(actor=county_office, issue=issue, approve=True, now=T0)
    assert issue.extension_count == 1


@override_settings(SANBUFU_EXTENSION_LIMIT=2, SANBUFU_EXTENSION_MAX_DAYS=4)
def test_extension_limits_per_tier_and_length(assigned, social_member, town_office):
    with pytest.raises(ValidationError):
        services.request_extension(actor=social_member, issue=assigned, days=5, reason="x", now=T0)
    for bad in (0, -1, True):
        with pytest.raises(ValidationError):
            services.request_extension(
                actor=social_member, issue=assigned, days=bad, reason="x", now=T0
            )
    for _ in range(2):
        services.request_extension(actor=social_member, issue=assigned, days=4, reason="x", now=T0)
        services.decide_extension(actor=town_office, issue=assigned, approve=True, now=T0)
    with pytest.raises(TransitionError):
        services.request_extension(actor=social_member, issue=assigned, days=1, reason="x", now=T0)


def test_extension_refused_to_others_and_outsiders(assigned, urban_member, safety_member):
    with pytest.raises(NotPermitted):
        services.request_extension(actor=urban_member, issue=assigned, days=1, reason="x", now=T0)
    with pytest.raises(NotFound):
        services.request_extension(actor=safety_member, issue=assigned, days=1, reason="x", now=T0)


def test_the_sweep_honours_an_extended_deadline(assigned, social_member, town_office):
    old_due = assigned.due_at
    services.request_extension(actor=social_member, issue=assigned, days=3, reason="x", now=T0)
    services.decide_extension(actor=town_office, issue=assigned, approve=True, now=T0)
    escalate_overdue(as_of=old_due + timedelta(hours=1))
    assigned.refresh_from_db()
    assert assigned.tier == Tier.TOWN and assigned.status == Issue.Status.ASSIGNED
    escalate_overdue(as_of=assigned.due_at + timedelta(hours=1))
    assigned.refresh_from_db()
    assert assigned.tier == Tier.COUNTY
    assert assigned.extension_count == 0 and assigned.department is None


# 督办 -----------------------------------------------------------------------------------------


def test_supervision_order_yellow_then_answered_then_a_second_is_red(
    assigned, county_office, social_member
):
    issue = services.supervise_issue(actor=county_office, issue=assigned, note="请加快", now=T0)
    order = issue.supervision
    assert order.reply_by == add_working_days(T0, 2)
    assert order.department == assigned.department
    assert order.grade(T0) == "yellow"
    assert order.grade(order.reply_by + timedelta(minutes=1)) == "red"
    with pytest.raises(TransitionError):
        services.supervise_issue(actor=county_office, issue=issue, note="再催", now=T0)
    issue = services.reply_supervision(
        actor=social_member, issue=issue, note="已安排专人", now=T0 + timedelta(hours=3)
    )
    order.refresh_from_db()
    assert order.replied_at is not None and order.grade() == "yellow"
    with pytest.raises(TransitionError):
        services.reply_supervision(actor=social_member, issue=issue, note="again", now=T0)
    issue = services.supervise_issue(actor=county_office, issue=issue, now=T0 + timedelta(days=1))
    assert issue.supervision.sequence == 2 and issue.supervision.grade() == "red"


def test_a_late_reply_is_red(assigned, town_office, social_member):
    issue = services.supervise_issue(actor=town_office, issue=assigned, reply_by=T0.date(), now=T0)
    issue = services.reply_supervision(
        actor=social_member, issue=issue, note="迟复", now=T0 + timedelta(days=1)
    )
    assert issue.supervision.grade() == "red"
    assert issue.events.get(kind="supervision_replied").reason == "late"


def test_supervision_needs_a_superior_and_a_future_reply_by(
    assigned, village_cadre, social_member, outsider, town_office
):
    with pytest.raises(NotPermitted):
        services.supervise_issue(actor=village_cadre, issue=assigned, now=T0)
    with pytest.raises(NotPermitted):
        services.supervise_issue(actor=social_member, issue=assigned, now=T0)
    with pytest.raises(NotFound):
        services.supervise_issue(actor=outsider, issue=assigned, now=T0)
    with pytest.raises(ValidationError):
        services.supervise_issue(
            actor=town_office, issue=assigned, reply_by=T0 - timedelta(hours=1), now=T0
        )
    with pytest.raises(StaleVersion):
        services.supervise_issue(actor=town_office, issue=assigned, version=1, now=T0)
    with pytest.raises(TransitionError):  # no order to answer
        services.reply_supervision(actor=town_office, issue=assigned, note="x", now=T0)
    assert not SupervisionOrder.objects.exists()


def test_only_the_holder_answers_a_supervision_order(
    assigned, county_office, urban_member, safety_member, social_member
):
    services.supervise_issue(actor=county_office, issue=assigned, now=T0)
    with pytest.raises(NotPermitted):
        services.reply_supervision(actor=urban_member, issue=assigned, note="x", now=T0)
    with pytest.raises(NotPermitted):
        services.reply_supervision(actor=county_office, issue=assigned, note="x", now=T0)
    with pytest.raises(NotFound):
        services.reply_supervision(actor=safety_member, issue=assigned, note="x", now=T0)
    with pytest.raises(StaleVersion):
        services.reply_supervision(actor=social_member, issue=assigned, note="x", version=1, now=T0)
    assert SupervisionOrder.objects.get().replied_at is None


def test_the_sweep_issues_a_supervision_order_at_city_tier(
    village_cadre, town_office, county_office
):
    issue = IssueFactory(actor=village_cadre, now=T0)
    for actor in (village_cadre, town_office, county_office):
        issue = services.escalate_issue(actor=actor, issue=issue, reason="multi_level", now=T0)
    late = issue.due_at + timedelta(hours=1)
    assert escalate_overdue(as_of=late)[Tier.CITY] == 1
    issue.refresh_from_db()
    order = issue.supervision
    assert order.issued_by is None and order.sequence == 1 and order.holder_id == issue.holder_id
    assert order.reply_by == add_working_days(late, 2)
    assert escalate_overdue(as_of=late)[Tier.CITY] == 0
    assert SupervisionOrder.objects.count() == 1


# Notifications --------------------------------------------------------------------------------


def test_who_is_told_of_each_work_order_step(
    assigned, social_member, urban_member, town_office, county_office, departments
):
    from issues.notifications import mails_for

    def told(kind: str) -> list[str]:
        event = assigned.events.filter(kind=kind).last()
        return sorted(r for m in mails_for([event.pk]) for r in m.recipients)

    assert told("assigned") == ["social_member@example.org", "urban_member@example.org"]
    services.request_extension(actor=social_member, issue=assigned, days=2, reason="等", now=T0)
    assert told("extension_requested") == ["town_office@example.org"]
    services.decide_extension(actor=town_office, issue=assigned, approve=False, now=T0)
    assert told("extension_decided") == ["social_member@example.org"]
    services.supervise_issue(actor=county_office, issue=assigned, now=T0)
    assert told("supervised") == ["social_member@example.org"]
    services.reply_supervision(actor=social_member, issue=assigned, note="已办", now=T0)
    assert told("supervision_replied") == ["county_office@example.org"]
    issue = services.assign_issue(
        actor=town_office, issue=assigned, department=departments.safety, now=T0
    )
    safety = _department_member_of(departments.safety)
    services.hand_back_issue(actor=safety, issue=issue, reason="不属本部门", now=T0)
    assert told("handed_back") == ["town_office@example.org"]


def _department_member_of(department):
    from ..factories import DepartmentMembershipFactory, UserFactory

    return DepartmentMembershipFactory(
        user=UserFactory(username="safety_member"), department=department
    ).user
