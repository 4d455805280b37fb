"""Reads of co-building: what may answer an issue, the public page, and the statistics."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from dispatch.models import within_q
from issues.models import Issue

from .models import (
    CategoryKind,
    CommitteeMember,
    Contract,
    Kind,
    Need,
    PartnerResolution,
    Project,
    Resource,
)


def _kinds(issue: Issue) -> QuerySet:
    return CategoryKind.objects.filter(category_id=issue.category_id).values("kind")


def matching_resources(issue: Issue) -> QuerySet[Resource]:
    """Available resources of the issue's community under a signed contract whose kind
    answers the issue's category (CategoryKind)."""
    return (
        Resource.objects.filter(
            community_id=issue.division_id,
            available=True,
            contract__step__in=Contract.STEPS[1:],
            kind__in=_kinds(issue),
        )
        .select_related("unit")
        .order_by("kind", "name", "pk")
    )


def matching_projects(issue: Issue) -> QuerySet[Project]:
    """Projects of the issue's community under a signed contract, of a kind that answers the
    issue's category, not merely planned."""
    return (
        Project.objects.filter(
            community_id=issue.division_id,
            contract__step__in=Contract.STEPS[1:],
            kind__in=_kinds(issue),
        )
        .exclude(status=Project.Status.PLANNED)
        .select_related("unit")
        .order_by("name", "pk")
    )


def stats(user, *, within: str | None = None) -> dict:
    """Co-building figures of the communities in the user's jurisdiction (and under
    `within`): units with contracts, contracts by step, resources by kind, projects by
    status, serving part-time committee members, needs met and issues resolved with a
    partner. Seven grouped queries, whatever the number of rows."""

    def scoped(qs):
        qs = qs.visible_to(user)
        return qs.within(within) if within else qs

    contracts = scoped(Contract.objects.all()).order_by()
    by_step = dict(contracts.values_list("step").annotate(n=Count("id")))
    units = contracts.aggregate(n=Count("unit", distinct=True))["n"]
    by_kind = dict(
        scoped(Resource.objects.all()).order_by().values_list("kind").annotate(n=Count("id"))
    )
    by_status = dict(
        scoped(Project.objects.all()).order_by().values_list("status").annotate(n=Count("id"))
    )
    members = scoped(CommitteeMember.objects.serving()).count()
    needs = (
        scoped(Need.objects.all())
        .order_by()
        .aggregate(total=Count("id"), met=Count("id", filter=Q(status=Need.Status.MET)))
    )
    # An issue counts once, and only while the resolution it got was the partner's.
    resolutions = PartnerResolution.objects.filter(
        issue__in=Issue.objects.visible_to(user).values("pk"),
        issue__status=Issue.Status.RESOLVED,
        at=F("issue__resolved_at"),
    )
    if within:
        resolutions = resolutions.filter(within_q("issue__division__code", within))
    resolved_with_partner = resolutions.aggregate(n=Count("issue", distinct=True))["n"]
    return {
        "within": within,
        "as_of": timezone.localdate(),
        "units_with_contracts": units,
        "contracts": sum(by_step.values()),
        "contracts_by_step": {s: by_step.get(s, 0) for s in Contract.STEPS},
        # For pages: each step's label and count, in order.
        "step_rows": [(label, by_step.get(s, 0)) for s, label in Contract.Step.choices],
        "resources": sum(by_kind.values()),
        "resources_by_kind": {k: by_kind.get(k, 0) for k in Kind.values},
        "projects": sum(by_status.values()),
        "projects_by_status": {s: by_status.get(s, 0) for s in Project.Status.values},
        "committee_members": members,
        "needs": needs["total"],
        "needs_met": needs["met"],
        "resolved_with_partner": resolved_with_partner,
    }


def public_community(code: str) -> dict:
    """What the 亮约 page shows of a community: its publicised contracts with their unit,
    menu items, resources and projects; names of units and things only, no person. Four
    queries."""
    contracts = list(
        Contract.objects.filter(community_id=code)
        .publicised()
        .select_related("unit")
        .prefetch_related("items", "resources", "projects")
        .order_by("unit__name", "pk")
    )
    return {"contracts": contracts}
