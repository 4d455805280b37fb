"""Co-building rows for tests: a unit, a contract taken to a given step through the services,
and its resources and projects."""

from __future__ import annotations

import datetime

from contracts import services
from contracts.models import (
    CategoryKind,
    CommitteeMember,
    Contract,
    Kind,
    Project,
    Resource,
    Unit,
)
from dispatch.models import Division
from issues.models import Category

from ..factories import credit_code, division


def unit(name: str = "演示区人民医院", *, kind: str = Unit.Kind.HOSPITAL, **kwargs) -> Unit:
    kwargs.setdefault("division", division("330603008000"))
    return Unit.objects.create(name=name, kind=kind, **kwargs)


def contract_at(
    step: str, *, actor, community: Division, unit_obj: Unit | None = None, title: str = ""
) -> Contract:
    """A contract opened and moved up to `step` by `actor`, each step with its note."""
    contract = services.open_contract(
        actor=actor,
        unit=unit_obj or unit(),
        community=community,
        title=title or "卫生健康共建契约",
        note="双方座谈，确定服务清单",
        items=[("service", "unit", "每月义诊"), ("resource", "community", "活动室")],
        on=datetime.date(2026, 1, 5),
    )
    for name in Contract.STEPS[1 : Contract.STEPS.index(step) + 1]:
        contract = services.advance_contract(
            actor=actor,
            contract=contract,
            step=name,
            note=f"{name} 的凭证",
            score=90 if name == Contract.Step.EVALUATE else None,
        )
    return contract


def resource_for(
    contract: Contract, *, kind: str = Kind.MEDICAL, name: str = "社区义诊"
) -> Resource:
    return Resource.objects.create(
        name=name,
        kind=kind,
        unit=contract.unit,
        community=contract.community,
        contract=contract,
        availability="每月第一个周六",
    )


def project_for(contract: Contract, *, kind: str = Kind.MEDICAL, name: str = "健康小屋") -> Project:
    return Project.objects.create(
        name=name,
        kind=kind,
        unit=contract.unit,
        community=contract.community,
        contract=contract,
        status=Project.Status.UNDER_WAY,
        progress=40,
    )


def map_category(code: str, kind: str) -> Category:
    category, _ = Category.objects.get_or_create(
        code=code, defaults={"name_zh": code, "name_en": code}
    )
    CategoryKind.objects.get_or_create(category=category, kind=kind)
    return category


# The city's figures since 2019: units that signed, resources listed, projects carried out,
# unit leaders serving as part-time members of community party committees.
CITY_FIGURES = {"units": 1243, "resources": 236, "projects": 518, "members": 578}
COMMUNITIES = [
    "330603008250",
    "330603008258",
    "330602002045",
    "330602002001",
    "330683105265",
    "330681201247",
]


def bulk_co_building(
    *,
    units: int = CITY_FIGURES["units"],
    resources: int = CITY_FIGURES["resources"],
    projects: int = CITY_FIGURES["projects"],
    members: int = CITY_FIGURES["members"],
    communities: list[str] | None = None,
) -> None:
    """A city's co-building in bulk INSERTs (not the services): `units` units, each with one
    contract, the contracts spread over the five steps and over `communities`, and the given
    numbers of resources, projects and serving part-time committee members. For the
    statistics' tests and bench/bench_contract_stats.py."""
    codes = communities or COMMUNITIES
    places = [division(code) for code in codes]
    town = division("330603008000")
    made = Unit.objects.bulk_create(
        Unit(
            name=f"共建单位{n:05d}", kind=Unit.Kind.values[n % len(Unit.Kind.values)], division=town
        )
        for n in range(units)
    )
    steps = Contract.STEPS
    contracts = Contract.objects.bulk_create(
        Contract(
            unit=made[n],
            community=places[n % len(places)],
            title=f"共建契约{n:05d}",
            step=steps[n % len(steps)],
            score=80 if steps[n % len(steps)] == Contract.Step.EVALUATE else None,
        )
        for n in range(units)
    )
    kinds = Kind.values
    Resource.objects.bulk_create(
        Resource(
            name=f"资源{n:04d}",
            kind=kinds[n % len(kinds)],
            unit_id=contracts[n % units].unit_id,
            community_id=contracts[n % units].community_id,
            contract=contracts[n % units],
        )
        for n in range(resources)
    )
    statuses = Project.Status.values
    Project.objects.bulk_create(
        Project(
            name=f"项目{n:04d}",
            kind=kinds[n % len(kinds)],
            unit_id=contracts[n % units].unit_id,
            community_id=contracts[n % units].community_id,
            contract=contracts[n % units],
            status=statuses[n % len(statuses)],
        )
        for n in range(projects)
    )
    CommitteeMember.objects.bulk_create(
        CommitteeMember(
            unit_id=contracts[n % units].unit_id,
            community_id=contracts[n % units].community_id,
            name=f"委员{n:04d}",
            started_on=datetime.date(2019, 1, 1),
        )
        for n in range(members)
    )


__all__ = [
    "CITY_FIGURES",
    "bulk_co_building",
    "contract_at",
    "credit_code",
    "map_category",
    "project_for",
    "resource_for",
    "unit",
]
