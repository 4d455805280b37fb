"""Deadlines in working days on the Chinese calendar (办理时限).

Working days come from the `chinese_calendar` package, which follows the State Council's
yearly holiday notices, make-up working weekends (调休) included. For a year the package
does not know yet (the notice for year N is published late in year N-1), days fall back to
Monday to Friday and a warning is logged, so a deadline is never refused.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

import chinese_calendar
from django.utils import timezone

log = logging.getLogger(__name__)


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


@cache
def _warn_unknown_year(year: int) -> None:
    log.warning("No holiday calendar for %s; counting Monday to Friday.", year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start`.

    Counted from the moment of arrival: an issue arriving on a working day at 10:00 with 3
    days is due at 10:00 on the third working day after. One arriving on a rest day is due
    at the end of the `days`-th working day from then.
    """
    local = timezone.localtime(start)
    day = local.date()
    arrived_on_workday = is_workday(day)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    tz = local.tzinfo
    if arrived_on_workday:
        return datetime.combine(day, local.time(), tzinfo=tz)
    # End of that working day: midnight at its close.
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


# Office hours of a working day, over which working hours (the 签收 window) are counted.
WORKDAY_OPENS = time(9)
WORKDAY_CLOSES = time(17)


def add_working_hours(start: datetime, hours: int) -> datetime:
    """The moment `hours` working hours after `start`, counting only office hours (09:00 to
    17:00) of working days on the Chinese calendar: 8 hours from Friday 15:00 end on the next
    working day at 15:00."""
    local = timezone.localtime(start)
    tz = local.tzinfo
    remaining = timedelta(hours=hours)
    day = local.date()
    moment = local
    while True:
        if is_workday(day):
            opens = datetime.combine(day, WORKDAY_OPENS, tzinfo=tz)
            closes = datetime.combine(day, WORKDAY_CLOSES, tzinfo=tz)
            begin = max(moment, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        day += timedelta(days=1)
        moment = datetime.combine(day, time.min, tzinfo=tz)
