"""Co-building rows for tests: a unit, a contract taken to a given step through the services,
and its resources and projects."""

from __future__ import annotations

import datetime

from contracts import services
from contracts.models import CategoryKind, Contract, Kind, Project, Resource, Unit
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


__all__ = ["contract_at", "credit_code", "map_category", "project_for", "resource_for", "unit"]
