"""Reads that matter: statistics computed in the database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Concat, Substr
from django.utils import timezone

from dispatch.models import PREFIX_LENGTH, TIERS, Department, Division, Tier, within_q

from .models import Issue, IssueEvent, IssueQuerySet, IssueReport, Rating, SupervisionOrder

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
        qs.filter(PROBLEM, grid__isnull=False)
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
    totals = qs.aggregate(**_counts())
    by_category = [
        {"category": row["category__code"], "found": row["found"], "resolved": row["resolved"]}
        for row in qs.order_by()
        .filter(PROBLEM)
        .values("category__code")
        .annotate(found=Count("id"), resolved=Count("id", filter=RESOLVED))
        .order_by("-found", "category__code")
    ]
    return _figures(totals, by_category, within=within, since=since, until=until)


RESOLVED = Q(status=Issue.Status.RESOLVED)
# One problem counts once (一事一件): an issue merged into another is one more report of the
# survivor's problem, not a problem of its own.
PROBLEM = ~Q(status=Issue.Status.MERGED)


def _counts() -> dict:
    """The aggregate of every figure, for one subtree or grouped by many. Every figure counts
    problems (merged issues left out) except `reports`: every issue raised, merged or not,
    and every further report linked to one (IssueReport not from a merge)."""
    linked = (
        IssueReport.objects.filter(issue=OuterRef("pk"), merged_from__isnull=True)
        .order_by()
        .values("issue")
        .annotate(n=Count("id"))
        .values("n")
    )
    return {
        "reports": Count("id") + Coalesce(Sum(Subquery(linked)), 0),
        **{name: _problems(count) for name, count in _problem_counts().items()},
    }


def _problems(count: Count) -> Count:
    """`count` restricted to problems (merged issues left out)."""
    condition = count.filter
    return Count("id", filter=PROBLEM & condition if condition is not None else PROBLEM)


def _problem_counts() -> dict:
    resolved = RESOLVED
    return {
        "found": Count("id"),
        "resolved_on_spot": Count("id", filter=Q(resolved_on_spot=True) & resolved),
        "reached_town": Count("id", filter=Q(peak_tier__in=TIERS[1:])),
        "reached_county": Count("id", filter=Q(peak_tier__in=TIERS[2:])),
        "reached_city": Count("id", filter=Q(peak_tier=Tier.CITY)),
        "resolved": Count("id", filter=resolved),
        "resolved_on_time": Count("id", filter=resolved & Q(resolved_at__lte=F("due_at"))),
        "resolved_in_grid": Count("id", filter=resolved & IN_GRID),
        "overdue": Count("id", filter=~resolved & Q(due_at__lt=timezone.now())),
        **{f"resolved_{t}": Count("id", filter=resolved & Q(resolved_tier=t)) for t in TIERS},
        "rated": Count("id", filter=~Q(rating="")),
        "satisfied": Count(
            "id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASICALLY_SATISFIED])
        ),
        "followed_up": Count("id", filter=Q(Exists(_events(IssueEvent.Kind.FOLLOWED_UP)))),
        "redone": Count("id", filter=Q(Exists(_events(rating=Rating.UNSATISFIED)))),
        # Resolved now, or rated once (so resolved then, and reopened since).
        "ever_resolved": Count("id", filter=resolved | Q(rated_at__isnull=False)),
    }


def _figures(totals: dict, by_category: list[dict], **period) -> dict:
    found, done = totals["found"], totals["resolved"]
    return {
        **period,
        "found": found,
        "reports": totals["reports"],
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
        "rated": totals["rated"],
        "followed_up": totals["followed_up"],
        "satisfaction_rate": rate(totals["satisfied"], totals["rated"]),
        "redo_rate": rate(totals["redone"], totals["ever_resolved"]),
    }


# The units' assessment (考核) -----------------------------------------------------------------

UNIT_LEVELS = ("department", Tier.TOWN, Tier.COUNTY)
UNIT_FIGURES = (
    "assigned",
    "acknowledged",
    "acknowledged_on_time",
    "unacknowledged_overdue",
    "handed_back",
    "extended",
    "resolved",
    "resolved_on_time",
    "resolved_on_time_without_extension",
    "supervision_orders",
    "late_replies",
    "rated",
)


def _period(qs, field: str, since: date | None, until: date | None):
    """Rows whose moment `field` falls on the days since..until (Shanghai), both inclusive."""
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(**{f"{field}__gte": datetime.combine(since, time.min, tzinfo=tz)})
    if until:
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz)
        qs = qs.filter(**{f"{field}__lt": end})
    return qs


def unit_stats(
    *,
    within: Division,
    level: str,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """The assessment figures of each unit under `within` over a period: its departments
    (`level` "department", every department of a division in the subtree) or the towns or
    counties in it. What happened in the period (by the events' time): assignments received
    as lead, 签收 (on time: within the window), 退单, approved 延期, resolutions (on time,
    with or without an extension), 督办 orders received and answered late (or unanswered past
    the reply-by), and the reporters' ratings (satisfaction: satisfied or basically; redo:
    unsatisfied, which reopens the issue). `unacknowledged_overdue` is now: assignments
    still unsigned past the window.

    Set-based: four queries (units, events, orders, unsigned) whatever the number of units.
    """
    now = now or timezone.now()
    if level == "department":
        departments = list(
            Department.objects.filter(within_q("division__code", within.code))
            .select_related("division")
            .order_by("division__code", "name")
        )
        several = len({d.division_id for d in departments}) > 1
        units: list[tuple[Any, str, str]] = [
            (d.pk, d.division_id, f"{d.division.name} {d.name}" if several else d.name)
            for d in departments
        ]
        event_key: Any = F("department_id")
        order_key: Any = F("department_id")
        unsigned_key: Any = F("department_id")
        tier_filter = Q()
    else:
        keep = PREFIX_LENGTH[level]  # type: ignore[index]
        units = [
            (d.code[:keep], d.code, d.name)
            for d in Division.objects.within(within.code).filter(tier=level).order_by("code")
        ]
        event_key = Substr("issue__division_id", 1, keep)
        order_key = Substr("holder_id", 1, keep)
        unsigned_key = Substr("holder_id", 1, keep)
        tier_filter = Q(tier_to=level)
    keys = [key for key, _code, _name in units]
    if not keys:
        return []

    kind = IssueEvent.Kind
    events = _period(
        IssueEvent.objects.filter(within_q("issue__division__code", within.code)).filter(
            tier_filter
        ),
        "at",
        since,
        until,
    )
    on_time = Q(kind=kind.RESOLVED, reason__in=["", "extended"])
    counted = {
        row["key"]: row
        for row in events.annotate(key=event_key)
        .filter(key__in=keys)
        .values("key")
        .annotate(
            assigned=Count("id", filter=Q(kind=kind.ASSIGNED)),
            acknowledged=Count("id", filter=Q(kind=kind.ACKNOWLEDGED)),
            acknowledged_on_time=Count("id", filter=Q(kind=kind.ACKNOWLEDGED) & ~Q(reason="late")),
            handed_back=Count("id", filter=Q(kind=kind.HANDED_BACK)),
            extended=Count("id", filter=Q(kind=kind.EXTENSION_DECIDED, reason="approved")),
            resolved=Count("id", filter=Q(kind=kind.RESOLVED)),
            resolved_on_time=Count("id", filter=on_time),
            resolved_on_time_without_extension=Count("id", filter=Q(kind=kind.RESOLVED, reason="")),
            supervision_orders=Count("id", filter=Q(kind=kind.SUPERVISED)),
            rated=Count("id", filter=Q(kind=kind.FEEDBACK)),
            satisfied=Count(
                "id",
                filter=Q(
                    kind=kind.FEEDBACK,
                    rating__in=[Rating.SATISFIED, Rating.BASICALLY_SATISFIED],
                ),
            ),
            unsatisfied=Count("id", filter=Q(kind=kind.FEEDBACK, rating=Rating.UNSATISFIED)),
        )
        .order_by()
    }
    orders = _period(
        SupervisionOrder.objects.filter(within_q("issue__division__code", within.code)),
        "issued_at",
        since,
        until,
    )
    if level != "department":
        orders = orders.filter(tier=level)
    late = Q(replied_at__gt=F("reply_by")) | Q(replied_at__isnull=True, reply_by__lt=now)
    late_replies = dict(
        orders.filter(late)
        .annotate(key=order_key)
        .filter(key__in=keys)
        .values("key")
        .annotate(n=Count("id"))
        .values_list("key", "n")
        .order_by()
    )
    unsigned = Issue.objects.within(within.code).unacknowledged().filter(ack_due_at__lt=now)
    if level != "department":
        unsigned = unsigned.filter(tier=level)
    unacknowledged = dict(
        unsigned.annotate(key=unsigned_key)
        .filter(key__in=keys)
        .values("key")
        .annotate(n=Count("id"))
        .values_list("key", "n")
        .order_by()
    )
    result = []
    for key, code, name in units:
        row = counted.get(key, {})
        figures = {f: row.get(f, 0) for f in UNIT_FIGURES}
        figures["late_replies"] = late_replies.get(key, 0)
        figures["unacknowledged_overdue"] = unacknowledged.get(key, 0)
        rated = figures["rated"]
        result.append(
            {
                "unit": key if level == "department" else code,
                "name": name,
                "division": code,
                **figures,
                "satisfaction_rate": rate(row.get("satisfied", 0), rated),
                "redo_rate": rate(row.get("unsatisfied", 0), rated),
            }
        )
    return result


def rate(part: int, whole: int) -> float | None:
    """part / whole to four places (0.3333), or None when there is no whole."""
    return round(part / whole, 4) if whole else None


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
        qs.filter(PROBLEM)
        .values("town", "category__code")
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


def _events(kind: str | None = None, **fields) -> QuerySet[IssueEvent]:
    """The issue's events of a kind (or with these fields), for an Exists() in an aggregate."""
    events = IssueEvent.objects.filter(issue=OuterRef("pk"), **fields)
    return events.filter(kind=kind) if kind else events
