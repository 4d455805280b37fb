"""Late agenda items: an issue that reaches a town after its meeting of the week was convened
joins that open meeting's agenda, marked late."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.weeks import current_week
from issues import services
from issues.models import Issue, IssueEvent
from issues.sweep import escalate_overdue
from issues.tasks import announce_events
from meetings.models import AgendaItem, Meeting
from meetings.services import add_late_items, close_meeting, convene_meeting

from ..factories import IssueFactory


@pytest.fixture
def meeting(shaoxing):
    return convene_meeting(town=shaoxing.lanting, week=current_week())


def test_an_issue_escalated_after_convening_joins_the_open_meeting_late(
    meeting, village_cadre, eager, django_capture_on_commit_callbacks
):
    issue = IssueFactory(actor=village_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_level")
    item = AgendaItem.objects.get(meeting=meeting, issue=issue)
    assert item.late and item.new
    # Announced twice (a retried task): still one item.
    event = issue.events.get(kind=IssueEvent.Kind.ESCALATED)
    announce_events(event_ids=[event.pk])
    assert AgendaItem.objects.filter(issue=issue).count() == 1


def test_the_sweep_brings_late_items_in_one_go(meeting, shaoxing):
    issues = [IssueFactory() for _ in range(3)]
    escalate_overdue(as_of=max(i.due_at for i in issues) + timedelta(hours=1))
    assert Issue.objects.filter(tier="town").count() == 3
    assert add_late_items([i.pk for i in issues]) == 3
    assert AgendaItem.objects.filter(meeting=meeting, late=True).count() == 3
    assert add_late_items([i.pk for i in issues]) == 0


def test_a_closed_meeting_or_another_tier_takes_no_late_item(meeting, town_office, village_cadre):
    at_village = IssueFactory(actor=village_cadre)
    assert add_late_items([at_village.pk]) == 0
    close_meeting(actor=town_office, meeting=meeting, minutes="散会")
    issue = services.escalate_issue(
        actor=village_cadre, issue=IssueFactory(actor=village_cadre), reason="multi_level"
    )
    assert add_late_items([issue.pk]) == 0
    assert Meeting.objects.get().items.count() == 0
