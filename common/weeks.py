"""ISO weeks, written `2026-W48`, in the local time zone (Asia/Shanghai): the unit of the
weekly analysis meeting and of the dashboard's week. The API and URLs keep the ISO form; people
read `week_label`: 第48周（11月23日—11月29日）."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

WEEK_PATTERN = r"^(\d{4})-W(\d{2})$"


def parse_week(week: str) -> date:
    """The Monday of an ISO week written `2026-W48`; ValidationError when it is no such week."""
    match = re.match(WEEK_PATTERN, week or "")
    if match:
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    raise ValidationError({"week": [_("Write an ISO week as 2026-W48.")]})


def week_of(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def current_week(now: datetime | None = None) -> str:
    """The ISO week of `now` (default: this moment) in the local time zone (Asia/Shanghai)."""
    return week_of(timezone.localdate(now))


def day_label(day: date) -> str:
    """A day of the month without the year: 11月23日 / 11/23."""
    return pgettext("month and day", "%(month)d/%(day)d") % {"month": day.month, "day": day.day}


def week_label(week: str) -> str:
    """An ISO week as people read it: 第48周（11月23日—11月29日） / Week 48 (11/23–11/29)."""
    monday = parse_week(week)
    return _("Week %(number)d (%(first)s–%(last)s)") % {
        "number": monday.isocalendar()[1],
        "first": day_label(monday),
        "last": day_label(monday + timedelta(days=6)),
    }
