"""Reads that matter: statistics computed in the database."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from dispatch.models import PREFIX_LENGTH, TIERS, Tier

from .models import Issue, IssueQuerySet


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
    totals = qs.aggregate(**_counts())
    by_category = [
        {"category": row["category__code"], "found": row["found"], "resolved": row["resolved"]}
        for row in qs.order_by()
        .values("category__code")
        .annotate(found=Count("id"), resolved=Count("id", filter=RESOLVED))
        .order_by("-found", "category__code")
    ]
    return _figures(totals, by_category, within=within, since=since, until=until)


RESOLVED = Q(status=Issue.Status.RESOLVED)


def _counts() -> dict:
    """The aggregate of every figure, for one subtree or grouped by many."""
    resolved = RESOLVED
    return {
        "found": Count("id"),
        "resolved_on_spot": Count("id", filter=Q(resolved_on_spot=True) & resolved),
        "reached_town": Count("id", filter=Q(peak_tier__in=TIERS[1:])),
        "reached_county": Count("id", filter=Q(peak_tier__in=TIERS[2:])),
        "reached_city": Count("id", filter=Q(peak_tier=Tier.CITY)),
        "resolved": Count("id", filter=resolved),
        "resolved_on_time": Count("id", filter=resolved & Q(resolved_at__lte=F("due_at"))),
        "overdue": Count("id", filter=~resolved & Q(due_at__lt=timezone.now())),
        **{f"resolved_{t}": Count("id", filter=resolved & Q(resolved_tier=t)) for t in TIERS},
    }


def _figures(totals: dict, by_category: list[dict], **period) -> dict:
    found, done = totals["found"], totals["resolved"]
    return {
        **period,
        "found": found,
        "resolved_on_spot": totals["resolved_on_spot"],
        "reached": {t: totals[f"reached_{t}"] for t in TIERS[1:]},
        "resolved": done,
        "resolved_by_tier": {t: totals[f"resolved_{t}"] for t in TIERS},
        "open": found - done,
        "overdue": totals["overdue"],
        "closure_rate": round(done / found, 4) if found else None,
        "on_time_rate": round(totals["resolved_on_time"] / done, 4) if done else None,
        "by_category": by_category,
    }


def town_stats(towns: list[str], *, since: date, until: date) -> dict[str, dict]:
    """`stats(within=town, since=, until=)` of many towns at once: two grouped queries over
    the period's issues, whatever the number of towns (the Monday convening of a province)."""
    keep = PREFIX_LENGTH[Tier.TOWN]
    qs = (
        Issue.objects.filter(raised_on__gte=since, raised_on__lte=until)
        .annotate(town=Concat(Substr("division_id", 1, keep), Value("0" * (12 - keep))))
        .filter(town__in=towns)
        .order_by()
    )
    totals: dict[str, dict] = {
        row["town"]: dict(row) for row in qs.values("town").annotate(**_counts())
    }
    by_category: dict[str, list[dict]] = {}
    for row in (
        qs.values("town", "category__code")
        .annotate(found=Count("id"), resolved=Count("id", filter=RESOLVED))
        .order_by("town", "-found", "category__code")
    ):
        by_category.setdefault(row["town"], []).append(
            {"category": row["category__code"], "found": row["found"], "resolved": row["resolved"]}
        )
    empty = {key: 0 for key in _counts()}
    return {
        town: _figures(
            totals.get(town, empty),
            by_category.get(town, []),
            within=town,
            since=since,
            until=until,
        )
        for town in towns
    }
