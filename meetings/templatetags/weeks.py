"""`{{ meeting.week|week_label }}`: 第48周（11月23日—11月29日）."""

from __future__ import annotations

from django import template

from common.weeks import week_label as label

register = template.Library()


@register.filter
def week_label(week: str) -> str:
    return label(week)
