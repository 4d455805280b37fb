"""Deadlines in working days on the Chinese calendar, and their colour."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine

from issues import services
from issues.deadlines import add_working_days

from ..factories import CategoryFactory, IssueFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_the_2026_national_day_calendar_is_the_one_the_state_council_published():
    # 2026: October 1-7 off; Saturday October 10 is a make-up working day (调休).
    assert [chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 12)] == [
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        False,
    ]
    assert chinese_calendar.get_holiday_detail(date(2026, 10, 1)) == (True, "National Day")
    assert chinese_calendar.get_holiday_detail(date(2026, 10, 10)) == (False, "National Day")


def test_an_issue_arriving_before_national_day_is_due_after_the_holiday():
    # Tuesday 29 September 10:00 + 3 working days: 30 September, 8 and 9 October.
    assert add_working_days(at(2026, 9, 29, 10), 3) == at(2026, 10, 9, 10)


def test_the_make_up_saturday_counts_as_a_working_day():
    assert add_working_days(at(2026, 9, 29, 10), 4) == at(2026, 10, 10, 10)
    # And the Sunday after it does not.
    assert add_working_days(at(2026, 9, 29, 10), 5) == at(2026, 10, 12, 10)


def test_an_issue_arriving_on_a_holiday_counts_from_the_next_working_day():
    # Arrives on 3 October (holiday): 8, 9 and 10 October, due at the end of the 10th.
    assert add_working_days(at(2026, 10, 3, 15, 30), 3) == at(2026, 10, 11, 0, 0)


def test_an_issue_arriving_on_a_weekend_counts_from_monday():
    # Sunday 22 November 2026: Monday, Tuesday, Wednesday, due at the end of Wednesday.
    assert add_working_days(at(2026, 11, 22, 9), 3) == at(2026, 11, 26, 0, 0)


def test_an_ordinary_week_skips_only_the_weekend():
    # Thursday 19 November 10:00 + 3: Friday, Monday, Tuesday.
    assert add_working_days(at(2026, 11, 19, 10), 3) == at(2026, 11, 24, 10)


def test_a_year_without_a_published_calendar_counts_monday_to_friday():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2040, 1, 2))
    # Thursday 5 January 2040 + 2: Friday and Monday.
    assert add_working_days(at(2040, 1, 5, 10), 2) == at(2040, 1, 9, 10)


def test_a_raised_issue_before_national_day_gets_its_due_time_after_the_holiday(village_cadre, db):
    issue = IssueFactory(actor=village_cadre, now=at(2026, 9, 30, 16, 0))

    assert issue.due_at == at(2026, 10, 10, 16, 0)
    assert issue.arrived_at == at(2026, 9, 30, 16, 0)


def test_an_escalation_on_a_holiday_starts_the_town_deadline_after_it(village_cadre, db):
    issue = IssueFactory(actor=village_cadre, now=at(2026, 9, 30, 16, 0))

    issue = services.escalate_issue(
        actor=village_cadre, issue=issue, reason="beyond_authority", now=at(2026, 10, 2, 11)
    )

    # Seven working days from 8 October: 8, 9, 10, 12, 13, 14, 15; due at the end of the 15th.
    assert issue.due_at == at(2026, 10, 16, 0, 0)


def test_a_categorys_own_days_override_the_default_per_tier(village_cadre, town_office, db):
    urgent = CategoryFactory(code="safety", village_days=1, town_days=None, county_days=20)
    issue = IssueFactory(actor=village_cadre, category=urgent, now=at(2026, 11, 17, 10))
    assert issue.due_at == at(2026, 11, 18, 10)

    issue = services.escalate_issue(
        actor=village_cadre, issue=issue, reason="multi_level", now=at(2026, 11, 17, 11)
    )
    # No town override: the default seven working days.
    assert issue.due_at == at(2026, 11, 26, 11)

    issue = services.escalate_issue(
        actor=town_office, issue=issue, reason="multi_level", now=at(2026, 11, 17, 12)
    )
    assert issue.due_at == add_working_days(at(2026, 11, 17, 12), 20)
    assert issue.due_at == at(2026, 12, 15, 12)


@pytest.mark.parametrize(
    ("moment", "colour"),
    [
        (at(2026, 11, 17, 10, 1), "green"),
        (at(2026, 11, 19, 9, 59), "green"),  # just under two thirds of the 72 hours
        (at(2026, 11, 19, 10, 1), "amber"),
        (at(2026, 11, 20, 9, 59), "amber"),
        (at(2026, 11, 20, 10, 1), "red"),
        (at(2026, 12, 1, 10), "red"),
    ],
)
def test_the_deadline_light_turns_amber_then_red_as_time_passes(village_cadre, db, moment, colour):
    # Tuesday 10:00 at the front line: due Friday 10:00.
    issue = IssueFactory(actor=village_cadre, now=at(2026, 11, 17, 10))

    with time_machine.travel(moment, tick=False):
        assert issue.deadline_state() == colour
        assert issue.is_overdue() == (colour == "red")


def test_a_resolved_issue_shows_green_however_late(village_cadre, db):
    issue = IssueFactory(actor=village_cadre, now=at(2026, 11, 17, 10))
    issue = services.resolve_issue(
        actor=village_cadre, issue=issue, resolution="已解决", now=at(2026, 11, 25, 10)
    )

    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        assert issue.deadline_state() == "green"
        assert not issue.is_overdue()
