"""Reads that matter: statistics computed in the database."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from dispatch.models import TIERS, Tier

from .models import Issue, IssueEvent, IssueQuerySet, Rating


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
        overdue=Count("id", filter=~resolved & Q(due_at__lt=timezone.now())),
        **{f"resolved_{t}": Count("id", filter=resolved & Q(resolved_tier=t)) for t in TIERS},
        rated=Count("id", filter=~Q(rating="")),
        satisfied=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASICALLY_SATISFIED])),
        followed_up=Count("id", filter=Q(Exists(_events(IssueEvent.Kind.FOLLOWED_UP)))),
        redone=Count("id", filter=Q(Exists(_events(rating=Rating.UNSATISFIED)))),
        # Resolved now, or rated once (so resolved then, and reopened since).
        ever_resolved=Count("id", filter=resolved | Q(rated_at__isnull=False)),
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
        "reached": {t: totals[f"reached_{t}"] for t in TIERS[1:]},
        "resolved": done,
        "resolved_by_tier": {t: totals[f"resolved_{t}"] for t in TIERS},
        "open": found - done,
        "overdue": totals["overdue"],
        "closure_rate": round(done / found, 4) if found else None,
        "on_time_rate": round(totals["resolved_on_time"] / done, 4) if done else None,
        "by_category": by_category,
        "rated": totals["rated"],
        "followed_up": totals["followed_up"],
        "satisfaction_rate": _rate(totals["satisfied"], totals["rated"]),
        "redo_rate": _rate(totals["redone"], totals["ever_resolved"]),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _events(kind: str | None = None, **fields) -> QuerySet[IssueEvent]:
    """The issue's events of a kind (or with these fields), for an Exists() in an aggregate."""
    events = IssueEvent.objects.filter(issue=OuterRef("pk"), **fields)
    return events.filter(kind=kind) if kind else events
