"""Reads that matter: statistics computed in the database."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Q
from django.utils import timezone

from dispatch.models import TIERS, Tier

from .models import Issue, IssueQuerySet

# "Small matters do not leave the grid" (小事不出网格): an issue of a grid resolved at the
# front line, never having climbed to the town.
IN_GRID = Q(grid__isnull=False, resolved_tier=Tier.VILLAGE, peak_tier=Tier.VILLAGE)


def grid_ranking(
    issues: IssueQuerySet,
    *,
    within: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
) -> list:
    """The grids of a subtree ranked by their share of issues (found in the period) resolved
    within the grid, then by how many: one grouped query over the caller's visible issues."""
    qs = issues.within(within) if within else issues
    if since:
        qs = qs.filter(raised_on__gte=since)
    if until:
        qs = qs.filter(raised_on__lte=until)
    rows = (
        qs.filter(grid__isnull=False)
        .order_by()
        .values("grid_id", "grid__name", "grid__division_id", "grid__division__name")
        .annotate(
            found=Count("id"),
            resolved=Count("id", filter=Q(status=Issue.Status.RESOLVED)),
            in_grid=Count("id", filter=Q(status=Issue.Status.RESOLVED) & IN_GRID),
        )
    )
    ranked = [
        {
            "grid": row["grid_id"],
            "name": row["grid__name"],
            "division": row["grid__division_id"],
            "division_name": row["grid__division__name"],
            "found": row["found"],
            "resolved": row["resolved"],
            "resolved_in_grid": row["in_grid"],
            "in_grid_rate": round(row["in_grid"] / row["found"], 4),
        }
        for row in rows
    ]
    ranked.sort(key=lambda r: (-r["in_grid_rate"], -r["resolved_in_grid"], r["name"], r["grid"]))
    return ranked[:limit]


def stats(
    issues: IssueQuerySet | None = None,
    *,
    within: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict:
    """The closure figures (办结率 and friends) of the issues found in a subtree and period.

    `issues` is the caller's visible queryset (so statistics never leak beyond jurisdiction);
    `within` a division code; `since`/`until` bound `raised_on`, both inclusive. Two queries:
    one aggregate and one grouped by category.
    """
    qs = issues if issues is not None else Issue.objects.all()
    if within:
        qs = qs.within(within)
    if since:
        qs = qs.filter(raised_on__gte=since)
    if until:
        qs = qs.filter(raised_on__lte=until)
    resolved = Q(status=Issue.Status.RESOLVED)
    totals = qs.aggregate(
        found=Count("id"),
        resolved_on_spot=Count("id", filter=Q(resolved_on_spot=True, status=Issue.Status.RESOLVED)),
        reached_town=Count("id", filter=Q(peak_tier__in=TIERS[1:])),
        reached_county=Count("id", filter=Q(peak_tier__in=TIERS[2:])),
        reached_city=Count("id", filter=Q(peak_tier=Tier.CITY)),
        resolved=Count("id", filter=resolved),
        resolved_on_time=Count("id", filter=resolved & Q(resolved_at__lte=F("due_at"))),
        resolved_in_grid=Count("id", filter=resolved & IN_GRID),
        overdue=Count("id", filter=~resolved & Q(due_at__lt=timezone.now())),
        **{f"resolved_{t}": Count("id", filter=resolved & Q(resolved_tier=t)) for t in TIERS},
    )
    by_category = [
        {"category": row["category__code"], "found": row["found"], "resolved": row["resolved"]}
        for row in qs.order_by()
        .values("category__code")
        .annotate(found=Count("id"), resolved=Count("id", filter=resolved))
        .order_by("-found", "category__code")
    ]
    found, done = totals["found"], totals["resolved"]
    return {
        "within": within,
        "since": since,
        "until": until,
        "found": found,
        "resolved_on_spot": totals["resolved_on_spot"],
        "resolved_in_grid": totals["resolved_in_grid"],
        "reached": {t: totals[f"reached_{t}"] for t in TIERS[1:]},
        "resolved": done,
        "resolved_by_tier": {t: totals[f"resolved_{t}"] for t in TIERS},
        "open": found - done,
        "overdue": totals["overdue"],
        "closure_rate": round(done / found, 4) if found else None,
        "on_time_rate": round(totals["resolved_on_time"] / done, 4) if done else None,
        "by_category": by_category,
    }
