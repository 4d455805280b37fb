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
from django.db.models.functions import Substr, TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.weeks import week_of
from dispatch.models import TIERS, Division, Tier, tier_of_code
from dispatch.services import jurisdiction

from .models import Issue
from .selectors import grid_ranking, stats

WEEKS = 12
RAISED_COLOUR = "#417690"
RESOLVED_COLOUR = "#5b9a45"
SIX_DAYS = datetime.timedelta(days=6)


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


def issue_list(**params) -> str:
    """The admin's issue list showing exactly the issues a figure counts: everything visible
    (not only what the unit holds, the list's default), narrowed by `params`."""
    query = {"held": "all", **{k: v for k, v in params.items() if v is not None}}
    return reverse("admin:issues_issue_changelist") + "?" + urlencode(query)


# How wide a code prefix names a unit of each tier (2 province + 2 city + 2 county + 3 town).
UNIT_PREFIX = {Tier.CITY: 4, Tier.COUNTY: 6, Tier.TOWN: 9}


def ranked_level(user) -> str | None:
    """The tier of the units an office compares: a city's counties, a county's towns; None
    for a town office (its villages are on the village chart)."""
    j = jurisdiction(user)
    if j.is_superuser:
        return Tier.COUNTY
    tiers = {tier_of_code(code) for code in j.office_at | j.leader_at}
    if Tier.CITY in tiers:
        return Tier.COUNTY
    if Tier.COUNTY in tiers:
        return Tier.TOWN
    return None


def unit_ranking(issues, level: str, since: datetime.date, now: datetime.datetime) -> list:
    """The towns or counties (`level`) of the visible issues found since `since`, ranked by
    closure rate (办结率), then fewest overdue: one grouped query and one for the names."""
    width = UNIT_PREFIX[level]
    rows = list(
        issues.filter(raised_on__gte=since)
        .annotate(unit=Substr("division_id", 1, width))
        .values("unit")
        .annotate(
            found=Count("id"),
            resolved=Count("id", filter=Q(status=Issue.Status.RESOLVED)),
            overdue=Count("id", filter=~Q(status=Issue.Status.RESOLVED) & Q(due_at__lt=now)),
        )
        .order_by()
    )
    codes = {row["unit"]: row["unit"].ljust(12, "0") for row in rows}
    names = dict(Division.objects.filter(code__in=codes.values()).values_list("code", "name"))
    ranked = []
    for row in rows:
        code = codes[row["unit"]]
        where = {"village": code, "found_from": since.isoformat()}
        ranked.append(
            {
                "code": code,
                "name": names.get(code, code),
                "found": row["found"],
                "resolved": row["resolved"],
                "overdue": row["overdue"],
                "rate": round(100 * row["resolved"] / row["found"], 1),
                "found_url": issue_list(**where),
                "resolved_url": issue_list(**where, resolved="yes"),
                "overdue_url": issue_list(**where, overdue="yes"),
            }
        )
    ranked.sort(key=lambda r: (-r["rate"], r["overdue"], -r["found"], r["code"]))
    for n, row in enumerate(ranked, 1):
        row["rank"] = n
    return ranked


def dashboard_figures(user, now: datetime.datetime | None = None) -> dict:
    """Figures for the admin index: this week; the year's closure figures; open work by tier
    and status now; 12 weeks of raised and resolved; the year's busiest categories, villages
    and grids; for a county or city office its towns or counties ranked. Every count comes
    with the admin list that shows exactly the issues it counts.
    One function because each figure is one grouped query over the same visible issues; split,
    they would only pass that queryset around."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    monday = today - datetime.timedelta(days=today.weekday())
    first = monday - datetime.timedelta(weeks=WEEKS - 1)
    first_moment = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    # The totals' period: this year so far (the year's 办结率 is what offices are assessed on).
    since = today.replace(month=1, day=1)
    year = since.isoformat()
    issues = Issue.objects.visible_to(user).order_by()
    resolved = Q(status=Issue.Status.RESOLVED)

    summary = stats(issues, since=since)
    new_this_week = issues.filter(raised_on__gte=monday).count()
    figures = [
        ("new-this-week", _("new this week"), new_this_week, issue_list(found_from=monday)),
        ("found", _("found"), summary["found"], issue_list(found_from=year)),
        (
            "resolved",
            _("resolved"),
            summary["resolved"],
            issue_list(found_from=year, resolved="yes"),
        ),
        (
            "unresolved",
            _("unresolved"),
            summary["open"],
            issue_list(found_from=year, resolved="no"),
        ),
        # Overdue is a red light of today, whenever the issue was found.
        ("overdue", _("overdue now"), issues.overdue(now).count(), issue_list(overdue="yes")),
        ("rated", _("rated"), summary["rated"], issue_list(found_from=year, rated="yes")),
        (
            "followed-up",
            _("followed up"),
            summary["followed_up"],
            issue_list(found_from=year, followed_up="yes"),
        ),
    ]

    open_cells = {
        (row["tier"], row["status"]): row["n"]
        for row in issues.unresolved().values("tier", "status").annotate(n=Count("id"))
    }
    statuses = [Issue.Status.OPEN, Issue.Status.ASSIGNED, Issue.Status.CLAIMED]
    open_rows = [
        {
            "tier": Tier(tier).label,
            "cells": [
                (
                    open_cells.get((tier, s), 0),
                    issue_list(tier__exact=tier, status__exact=s),
                )
                for s in statuses
            ],
            "total": sum(open_cells.get((tier, s), 0) for s in statuses),
            "total_url": issue_list(tier__exact=tier, resolved="no"),
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
            issue_list(category__id__exact=row["category_id"], found_from=year),
            issue_list(category__id__exact=row["category_id"], found_from=year, resolved="yes"),
        )
        for row in issues.filter(raised_on__gte=since)
        .values("category_id", "category__code", "category__name_zh", "category__name_en")
        .annotate(found=Count("id"), resolved=Count("id", filter=resolved))
        .order_by("-found", "category__code")[:10]
    ]
    by_village = [
        (
            row["division__name"],
            row["found"],
            row["resolved"],
            issue_list(village=row["division_id"], found_from=year),
            issue_list(village=row["division_id"], found_from=year, resolved="yes"),
        )
        for row in issues.filter(raised_on__gte=since)
        .values("division_id", "division__name")
        .annotate(found=Count("id"), resolved=Count("id", filter=resolved))
        .order_by("-found", "division_id")[:12]
    ]
    grids = grid_ranking(issues, since=since, limit=10)
    for row in grids:
        row["found_url"] = issue_list(grid=row["grid"], found_from=year)
        row["in_grid_url"] = issue_list(grid=row["grid"], found_from=year, in_grid="yes")

    level = ranked_level(user)
    week = week_of(today)
    return {
        "week": week,
        "monday": monday,
        "since": since,
        "today": today,
        "summary": summary,
        "figures": [
            {"id": key, "label": label, "value": value, "url": url}
            for key, label, value, url in figures
        ],
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
        "grids": grids,
        "ranking_level": Tier(level).label if level else None,
        "ranking": unit_ranking(issues, level, since, now) if level else [],
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
                # The figure links to the list of exactly those issues.
                url = (
                    issue_list(found_from=week.isoformat(), found_to=(week + SIX_DAYS).isoformat())
                    if k == 0
                    else issue_list(resolved_week=week.isoformat())
                )
                parts.append(
                    f'<a class="n" data-n="{value}" href="{escape(url)}">'
                    f'<text x="{bx + bar / 2:.1f}" y="{top + plot_h - h - 2:.1f}" '
                    f'text-anchor="middle" font-size="10">{value}</text></a>'
                )
        parts.append(
            f'<text x="{x + bar:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{week:%m-%d}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def bar_chart(rows: list[tuple[str, int, int, str, str]]) -> SafeString:
    """Horizontal bars: found (full bar) with the resolved share drawn over it; the
    "resolved/found" figures link to the lists of those issues (the rows' two URLs)."""
    label_w, bar_w, row_h, top = 120, 360, 22, 22
    height = top + row_h * max(len(rows), 1) + 6
    peak = max([1, *(row[1] for row in rows)])
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {label_w + bar_w + 90} {height}" '
        f'width="{label_w + bar_w + 90}" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">',
        _legend(label_w, 12),
    ]
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 14}">{escape(_("No issues yet."))}</text>')
    for n, (label, found, resolved, found_url, resolved_url) in enumerate(rows):
        y = top + n * row_h
        w_found = bar_w * found / peak
        w_resolved = bar_w * resolved / peak
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label or "")}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w_found:.1f}" height="14" '
            f'fill="{RAISED_COLOUR}"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w_resolved:.1f}" height="14" '
            f'fill="{RESOLVED_COLOUR}"/>'
            f'<text x="{label_w + w_found + 4:.1f}" y="{y + 14}">'
            f'<a class="n" data-n="{resolved}" href="{escape(resolved_url)}">'
            f"<tspan>{resolved}</tspan></a>/"
            f'<a class="n" data-n="{found}" href="{escape(found_url)}"><tspan>{found}</tspan></a>'
            "</text>"
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
    late = issues.unacknowledged().filter(ack_due_at__lt=now)
    waiting = issues.supervised().filter(supervision__replied_at__isnull=True)
    unsigned = list(late.select_related("department").order_by("ack_due_at", "pk")[:20])
    supervised = list(
        waiting.select_related("supervision", "department", "holder").order_by(
            "supervision__reply_by", "pk"
        )[:20]
    )
    since = timezone.localdate(now).replace(day=1)
    return {
        "office": office,
        "since": since,
        "unsigned": unsigned,
        "supervised": supervised,
        # The lists above show the first twenty; the figures count them all.
        "unsigned_count": late.count(),
        "unsigned_url": issue_list(signed="late"),
        "supervised_count": waiting.count(),
        "supervised_url": issue_list(supervision="open"),
        "units": unit_stats(within=office, level="department", since=since, now=now),
    }
