"""Statistics: the closure figures of a subtree and period."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from issues import services
from issues.models import Issue
from issues.selectors import stats

from ..factories import CategoryFactory, IssueFactory, division

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITY = "330600000000"
# Villages of four counties of Shaoxing, where the enterprise diaries were kept.
VILLAGES = ["330603008250", "330603008258", "330683105265", "330681201247", "330602002045"]


def moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


@pytest.mark.slow
def test_stats_reproduce_the_shaoxing_enterprise_diary_figures_of_spring_2020(db):
    """3,285 issues from enterprise diaries, February to April 2020: 2,873 resolved on the
    spot, 412 taken to the county, 383 of those resolved there (closure rate 99.12%)."""
    for code in VILLAGES:
        division(code)
    category = CategoryFactory(code="enterprise")
    days = [date(2020, 2, 1) + timedelta(days=i) for i in range(90)]  # 1 Feb - 30 Apr
    assert days[-1] == date(2020, 4, 30)

    for n in range(3285):
        day = days[n % len(days)]
        issue = services.raise_issue(
            actor=None,
            division=VILLAGES[n % len(VILLAGES)],
            category=category,
            title=f"企情{n}",
            raised_on=day,
            now=moment(day, 9),
        )
        if n < 2873:
            services.resolve_on_spot(
                actor=None, issue=issue, resolution="当场协调解决", now=moment(day, 11)
            )
            continue
        for hour in (12, 13):
            issue = services.escalate_issue(
                actor=None, issue=issue, reason="beyond_authority", now=moment(day, hour)
            )
        if n < 2873 + 383:
            services.resolve_issue(
                actor=None, issue=issue, resolution="县级部门协调解决", now=moment(day, 15)
            )
    # Outside the period or the city: never counted.
    services.raise_issue(
        actor=None,
        division=VILLAGES[0],
        category=category,
        title="一月",
        raised_on=date(2020, 1, 31),
        now=moment(date(2020, 1, 31)),
    )
    services.raise_issue(
        actor=None,
        division=division("330102001001"),  # Hangzhou
        category=category,
        title="杭州",
        raised_on=date(2020, 3, 2),
        now=moment(date(2020, 3, 2)),
    )

    result = stats(
        Issue.objects.all(), within=CITY, since=date(2020, 2, 1), until=date(2020, 4, 30)
    )

    assert result["found"] == 3285
    assert result["resolved_on_spot"] == 2873
    assert result["reached"] == {"town": 412, "county": 412, "city": 0}
    assert result["resolved_by_tier"] == {"village": 2873, "town": 0, "county": 383, "city": 0}
    assert result["resolved"] == 3256
    assert result["open"] == 29
    assert result["closure_rate"] == 0.9912
    assert result["by_category"] == [{"category": "enterprise", "found": 3285, "resolved": 3256}]


def test_stats_count_both_ends_of_the_period(db):
    category = CategoryFactory(code="water")
    for day in (date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 30), date(2026, 5, 1)):
        IssueFactory(category=category, raised_on=day, now=moment(day))

    april = stats(since=date(2026, 4, 1), until=date(2026, 4, 30))
    one_day = stats(since=date(2026, 4, 30), until=date(2026, 4, 30))
    open_ended = stats(since=date(2026, 4, 30))

    assert april["found"] == 2
    assert one_day["found"] == 1
    assert open_ended["found"] == 2
    assert stats()["found"] == 4


def test_stats_never_count_beyond_the_callers_visible_issues(db, shaoxing, town_office):
    for code in ("330603008250", "330603008258", "330602002045"):
        issue = IssueFactory(division=division(code))
        services.resolve_on_spot(actor=None, issue=issue, resolution="好了")
    IssueFactory(division=division("330603008250"))

    mine = stats(Issue.objects.visible_to(town_office), within=CITY)
    everything = stats(Issue.objects.all(), within=CITY)

    assert (mine["found"], mine["resolved"], mine["closure_rate"]) == (3, 2, 0.6667)
    assert (everything["found"], everything["resolved"]) == (4, 3)


def test_stats_of_nothing_have_no_closure_rate(db):
    result = stats(Issue.objects.all(), within=CITY)
    assert result["found"] == 0
    assert result["closure_rate"] is None
    assert result["on_time_rate"] is None


def test_stats_count_what_is_overdue_and_what_was_resolved_in_time(db):
    category = CategoryFactory(code="water")
    start = moment(date(2026, 11, 2))  # a Monday; due Thursday 10:00
    on_time = IssueFactory(category=category, now=start)
    services.resolve_issue(actor=None, issue=on_time, resolution="好了", now=start)
    late = IssueFactory(category=category, now=start)
    services.resolve_issue(
        actor=None, issue=late, resolution="晚了", now=start + timedelta(days=10)
    )
    IssueFactory(category=category, now=start)  # still open, long past its deadline

    result = stats()

    assert result["overdue"] == 1
    assert result["on_time_rate"] == 0.5
