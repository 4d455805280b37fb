"""The office dashboard: a subtree's week and trend, aggregated in SQL and drawn as inline SVG.

Every figure is a grouped query over `Issue.objects.visible_to(user)`, so the page costs the
same handful of queries for ten issues or a hundred thousand, and shows nothing beyond the
user's jurisdiction.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.weeks import week_of
from dispatch.models import TIERS, Tier
from dispatch.services import jurisdiction

from .models import Issue
from .selectors import grid_ranking, stats

WEEKS = 12
RAISED_COLOUR = "#417690"
RESOLVED_COLOUR = "#5b9a45"


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def office_dashboard(user, now: datetime.datetime | None = None) -> dict:
    """The admin index's figures (see `dashboard_figures`), kept in the shared cache for
    SANBUFU_DASHBOARD_CACHE_SECONDS per jurisdiction and language: seven grouped queries over
    a province's million issues take seconds, and the figures of the last minute serve as
    well. Everyone with the same jurisdiction (every superuser; the members of one office)
    shares one entry, and no entry is shared across jurisdictions."""
    lifetime = settings.SANBUFU_DASHBOARD_CACHE_SECONDS
    if now is not None or lifetime <= 0:
        return dashboard_figures(user, now)
    j = jurisdiction(user)
    scope = "all" if j.is_superuser else ",".join(sorted(j.prefixes))
    key = (
        "dashboard:"
        + hashlib.sha256(f"{scope}|{get_language()}|{timezone.localdate()}".encode()).hexdigest()
    )
    figures = cache.get(key)
    if figures is None:
        figures = dashboard_figures(user)
        cache.set(key, figures, lifetime)
    return figures


def dashboard_figures(user, now: datetime.datetime | None = None) -> dict:
    """Figures for the admin index: this week, open work by tier and status, closure, 12
    weeks of raised and resolved, the busiest categories and villages.
    One function because each figure is one grouped query over the same visible issues; split,
    they would only pass that queryset around."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    monday = today - datetime.timedelta(days=today.weekday())
    first = monday - datetime.timedelta(weeks=WEEKS - 1)
    first_moment = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    issues = Issue.objects.visible_to(user).order_by()
    resolved = Q(status=Issue.Status.RESOLVED)

    summary = stats(issues)
    new_this_week = issues.filter(raised_on__gte=monday).count()

    open_cells = {
        (row["tier"], row["status"]): row["n"]
        for row in issues.unresolved().values("tier", "status").annotate(n=Count("id"))
    }
    statuses = [Issue.Status.OPEN, Issue.Status.ASSIGNED, Issue.Status.CLAIMED]
    open_rows = [
        {
            "tier": Tier(tier).label,
            "cells": [open_cells.get((tier, s), 0) for s in statuses],
            "total": sum(open_cells.get((tier, s), 0) for s in statuses),
        }
        for tier in TIERS
    ]

    raised_weeks = {
        _as_date(row["week"]): row["n"]
        for row in issues.filter(raised_on__gte=first)
        .annotate(week=TruncWeek("raised_on"))
        .values("week")
        .annotate(n=Count("id"))
    }
    resolved_weeks = {
        _as_date(row["week"]): row["n"]
        for row in issues.filter(resolved, resolved_at__gte=first_moment)
        .annotate(week=TruncWeek("resolved_at"))
        .values("week")
        .annotate(n=Count("id"))
    }
    weeks = [first + datetime.timedelta(weeks=n) for n in range(WEEKS)]
    weekly = [(w, raised_weeks.get(w, 0), resolved_weeks.get(w, 0)) for w in weeks]

    by_category = [
        (
            row["category__name_en"] if _english() else row["category__name_zh"],
            row["found"],
            row["resolved"],
        )
        for row in issues.values("category__code", "category__name_zh", "category__name_en")
        .annotate(found=Count("id"), resolved=Count("id", filter=resolved))
        .order_by("-found", "category__code")[:10]
    ]
    by_village = [
        (row["division__name"], row["found"], row["resolved"])
        for row in issues.values("division_id", "division__name")
        .annotate(found=Count("id"), resolved=Count("id", filter=resolved))
        .order_by("-found", "division_id")[:12]
    ]

    week = week_of(today)
    return {
        "week": week,
        "monday": monday,
        "summary": summary,
        "closure_percent": None
        if summary["closure_rate"] is None
        else round(summary["closure_rate"] * 100, 1),
        "new_this_week": new_this_week,
        "statuses": [s.label for s in statuses],
        "open_rows": open_rows,
        "weekly_chart": weekly_chart(weekly),
        "category_chart": bar_chart(by_category),
        "village_chart": bar_chart(by_village),
        # 小事不出网格: the grids ranked by their share resolved within the grid.
        "grids": grid_ranking(issues, limit=10),
    }


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _legend(x: int, y: int) -> str:
    return (
        f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{RAISED_COLOUR}"/>'
        f'<text x="{x + 14}" y="{y}">{escape(_("raised"))}</text>'
        f'<rect x="{x + 80}" y="{y - 9}" width="10" height="10" fill="{RESOLVED_COLOUR}"/>'
        f'<text x="{x + 94}" y="{y}">{escape(_("resolved"))}</text>'
    )


def weekly_chart(weekly: list[tuple[datetime.date, int, int]]) -> SafeString:
    """Grouped bars, raised and resolved, one group per week (labelled by its Monday)."""
    width, height, left, top, bottom = 660, 230, 36, 24, 34
    plot_h = height - top - bottom
    peak = max([1, *(max(r, s) for _w, r, s in weekly)])
    group = (width - left - 8) / max(len(weekly), 1)
    bar = group * 0.36
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">',
        f"<title>{escape(_('Raised and resolved per week'))}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>',
        _legend(left + 8, 12),
    ]
    for n, (week, raised, resolved) in enumerate(weekly):
        x = left + n * group + group * 0.12
        for k, (value, colour) in enumerate(((raised, RAISED_COLOUR), (resolved, RESOLVED_COLOUR))):
            h = plot_h * value / peak
            bx = x + k * bar
            parts.append(
                f'<rect x="{bx:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{value}</title></rect>'
            )
            if value:
                parts.append(
                    f'<text x="{bx + bar / 2:.1f}" y="{top + plot_h - h - 2:.1f}" '
                    f'text-anchor="middle" font-size="9">{value}</text>'
                )
        parts.append(
            f'<text x="{x + bar:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{week:%m-%d}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def bar_chart(rows: list[tuple[str, int, int]]) -> SafeString:
    """Horizontal bars: found (full bar) with the resolved share drawn over it."""
    label_w, bar_w, row_h, top = 120, 360, 22, 22
    height = top + row_h * max(len(rows), 1) + 6
    peak = max([1, *(found for _l, found, _r in rows)])
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {label_w + bar_w + 90} {height}" '
        f'width="{label_w + bar_w + 90}" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">',
        _legend(label_w, 12),
    ]
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 14}">{escape(_("No issues yet."))}</text>')
    for n, (label, found, resolved) in enumerate(rows):
        y = top + n * row_h
        w_found = bar_w * found / peak
        w_resolved = bar_w * resolved / peak
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label or "")}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w_found:.1f}" height="14" '
            f'fill="{RAISED_COLOUR}"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w_resolved:.1f}" height="14" '
            f'fill="{RESOLVED_COLOUR}"/>'
            f'<text x="{label_w + w_found + 4:.1f}" y="{y + 14}">{resolved}/{found}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def work_order_panel(user, now: datetime.datetime | None = None) -> dict | None:
    """The departments' work orders on the office dashboard: assignments not signed for past
    the window (red), open supervision orders, and this month's assessment of the departments
    of the user's first office (its XLSX is the monthly table). None for a user with no
    office. A fixed handful of queries (unit_stats' four, two here)."""
    from dispatch.models import Division

    from .selectors import unit_stats

    now = now or timezone.now()
    j = jurisdiction(user)
    if not j.office_at:
        return None
    office = Division.objects.get(code=min(j.office_at))
    issues = Issue.objects.visible_to(user)
    unsigned = list(
        issues.unacknowledged()
        .filter(ack_due_at__lt=now)
        .select_related("department")
        .order_by("ack_due_at", "pk")[:20]
    )
    supervised = list(
        issues.supervised()
        .filter(supervision__replied_at__isnull=True)
        .select_related("supervision", "department", "holder")
        .order_by("supervision__reply_by", "pk")[:20]
    )
    since = timezone.localdate(now).replace(day=1)
    return {
        "office": office,
        "since": since,
        "unsigned": unsigned,
        "supervised": supervised,
        "units": unit_stats(within=office, level="department", since=since, now=now),
    }
