"""Reads of field work, each a fixed number of grouped queries whatever the number of
postings, households or entries: duties unserved, households visited, campaign progress and
a deployment's page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, Value
from django.db.models.functions import Concat, Substr

from diaries.models import DiaryEntry, ServedDuty
from dispatch.models import PREFIX_LENGTH, Division, Enterprise, Posting, Tier, within_q
from issues.selectors import rate

from .models import Campaign, Deployment, Household

VISITS = DiaryEntry.households.through
ENTERPRISE_VISITS = DiaryEntry.enterprises.through
TOWN_DIGITS = PREFIX_LENGTH[Tier.TOWN]


def _town(field: str):
    """The code of the town of the village code at `field`."""
    return Concat(Substr(field, 1, TOWN_DIGITS), Value("0" * (12 - TOWN_DIGITS)))


def unserved_duties(postings: list[Posting], *, since: date, until: date) -> dict[int, list[str]]:
    """For each posting, the duties of its checklist no diary entry of the period ticked
    (since..until, both inclusive): one query for every posting given."""
    served = set(
        ServedDuty.objects.filter(
            entry__posting_id__in=[p.pk for p in postings],
            entry__visited_on__gte=since,
            entry__visited_on__lte=until,
        )
        .values_list("entry__posting_id", "duty")
        .distinct()
    )
    return {p.pk: [d for d in p.duties or [] if (p.pk, d) not in served] for p in postings}


def postings_in(code: str, *, since: date, until: date):
    """Postings at a village of the subtree whose term overlaps since..until."""
    return (
        Posting.objects.filter(within_q("division__code", code))
        .filter(started_on__lte=until)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=since))
    )


def _visited_between(since: date | None, until: date | None):
    visits = VISITS.objects.filter(household_id=OuterRef("pk"))
    if since:
        visits = visits.filter(diaryentry__visited_on__gte=since)
    if until:
        visits = visits.filter(diaryentry__visited_on__lte=until)
    return Exists(visits)


def household_coverage(code: str, *, since: date, until: date) -> dict:
    """Per village and per grid of the subtree of `code`: households in the register, how
    many were visited in since..until and their share, and the last visit ever. Two grouped
    queries."""
    visited = Q(_visited_between(since, until))
    households = (
        Household.objects.filter(within_q("village__code", code)).present_during(since).order_by()
    )
    figures = {
        "households": Count("pk", distinct=True),
        "visited": Count("pk", distinct=True, filter=visited),
        "last_visit": Max("diary_entries__visited_on"),
    }
    villages = [
        {**row, "share": rate(row["visited"], row["households"])}
        for row in households.values("village_id", "village__name")
        .annotate(**figures)
        .order_by("village_id")
    ]
    grids = [
        {**row, "share": rate(row["visited"], row["households"])}
        for row in households.filter(grid__isnull=False)
        .values("grid_id", "grid__name", "village__name")
        .annotate(**figures)
        .order_by("village__name", "grid__name")
    ]
    return {"villages": villages, "grids": grids}


def _enterprise_visited_between(since: date | None, until: date | None):
    """An enterprise was visited when an entry names it, or its own officer wrote an entry."""
    named = ENTERPRISE_VISITS.objects.filter(enterprise_id=OuterRef("pk"))
    own = DiaryEntry.objects.filter(posting__enterprise_id=OuterRef("pk"))
    if since:
        named = named.filter(diaryentry__visited_on__gte=since)
        own = own.filter(visited_on__gte=since)
    if until:
        named = named.filter(diaryentry__visited_on__lte=until)
        own = own.filter(visited_on__lte=until)
    return Exists(named) | Exists(own)


def enterprise_coverage(code: str, *, since: date, until: date) -> list[dict]:
    """Per village of the subtree of `code`: its enterprises, how many were visited in
    since..until and their share, and the last visit naming one. One grouped query."""
    visited = Q(_enterprise_visited_between(since, until))
    rows = (
        Enterprise.objects.filter(within_q("division__code", code))
        .order_by()
        .values("division_id", "division__name")
        .annotate(
            enterprises=Count("pk", distinct=True),
            visited=Count("pk", distinct=True, filter=visited),
            last_visit=Max("diary_entries__visited_on"),
        )
        .order_by("division_id")
    )
    return [{**row, "share": rate(row["visited"], row["enterprises"])} for row in rows]


def unvisited_households(postings: list[Posting], *, limit: int = 50) -> list[Household]:
    """The households of the cadre's villages nobody has visited since the posting's term
    began (this term), by village and label: one query."""
    q = Q(pk__in=[])
    for posting in postings:
        if posting.kind == Posting.Kind.ENTERPRISE:
            continue
        q |= Q(village_id=posting.division_id) & ~Q(_visited_between(posting.started_on, None))
    return list(
        Household.objects.current()
        .filter(q)
        .select_related("village", "grid")
        .order_by("village", "label")[:limit]
    )


def unvisited_enterprises(postings: list[Posting], *, limit: int = 50) -> list[Enterprise]:
    """The enterprises of the cadre's villages, and the enterprise of an enterprise posting,
    not visited since the posting's term began (this term), by village and name: one query."""
    q = Q(pk__in=[])
    for posting in postings:
        place = (
            Q(pk=posting.enterprise_id)
            if posting.kind == Posting.Kind.ENTERPRISE
            else Q(division_id=posting.division_id)
        )
        q |= place & ~Q(_enterprise_visited_between(posting.started_on, None))
    return list(
        Enterprise.objects.filter(q).select_related("division").order_by("division", "name")[:limit]
    )


def campaign_progress(campaign: Campaign, *, limit: int = 50) -> dict:
    """Visits (diary entries in the period and subtree), postings taking part and the target,
    by town, and the postings ranked by visits: four grouped queries."""
    code = campaign.within_id
    since, until = campaign.started_on, campaign.ended_on
    entries = DiaryEntry.objects.filter(
        within_q("posting__division__code", code), visited_on__gte=since, visited_on__lte=until
    ).order_by()
    postings = postings_in(code, since=since, until=until).order_by()
    visits_by_town = dict(
        entries.annotate(town=_town("posting__division_id"))
        .values("town")
        .annotate(n=Count("pk"))
        .values_list("town", "n")
    )
    postings_by_town = dict(
        postings.annotate(town=_town("division_id"))
        .values("town")
        .annotate(n=Count("pk"))
        .values_list("town", "n")
    )
    towns = sorted(set(visits_by_town) | set(postings_by_town))
    names = dict(Division.objects.filter(code__in=towns).values_list("code", "name"))
    target = campaign.target_per_posting
    by_town = [
        {
            "town": town,
            "name": names.get(town, town),
            "visits": visits_by_town.get(town, 0),
            "postings": postings_by_town.get(town, 0),
            "share": rate(visits_by_town.get(town, 0), postings_by_town.get(town, 0) * target),
        }
        for town in towns
    ]
    by_town.sort(key=lambda t: (-(t["share"] or 0), -t["visits"], t["town"]))
    in_period = Q(diary_entries__visited_on__gte=since, diary_entries__visited_on__lte=until)
    ranked = list(
        postings.select_related("cadre", "division", "enterprise")
        .annotate(visits=Count("diary_entries", filter=in_period))
        .order_by("-visits", "division_id", "pk")[:limit]
    )
    visits, taking_part = sum(visits_by_town.values()), sum(postings_by_town.values())
    progress: dict[str, Any] = {
        "visits": visits,
        "postings": taking_part,
        "target": target * taking_part,
        "share": rate(visits, target * taking_part),
        "by_town": by_town,
        "by_posting": ranked,
    }
    if campaign.kind == Campaign.Kind.MEDIATION:
        progress["mediations"] = dict(
            entries.exclude(mediation="")
            .values("mediation")
            .annotate(n=Count("pk"))
            .values_list("mediation", "n")
        )
    return progress


def deployment_page(deployment: Deployment, *, entries: int = 50) -> dict:
    """The roster, their diary entries (newest first) and each task's progress (entries that
    served it, and how many of the deployed did): three queries."""
    roster = list(deployment.postings.select_related("cadre", "division").order_by("cadre__name"))
    ids = [p.pk for p in roster]
    diary = list(
        DiaryEntry.objects.filter(posting_id__in=ids)
        .select_related("posting__cadre", "posting__division")
        .order_by("-visited_on", "-pk")[:entries]
    )
    served: dict[str, dict[str, Any]] = {
        row["duty"]: dict(row)
        for row in ServedDuty.objects.filter(entry__posting_id__in=ids)
        .values("duty")
        .annotate(entries=Count("pk"), cadres=Count("entry__posting", distinct=True))
        .order_by()
    }
    tasks = [
        {
            "task": task,
            "entries": served.get(task, {}).get("entries", 0),
            "cadres": served.get(task, {}).get("cadres", 0),
        }
        for task in deployment.tasks or []
    ]
    return {"roster": roster, "entries": diary, "tasks": tasks}
