"""Demo co-building in Fushan street's two communities and Lanting village: units, contracts
in every one of the five steps, resources, projects, needs, offers and part-time committee
members, and the category ↔ resource kind mapping. Through the services where there is one;
idempotent (nothing is written when a contract exists)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from dispatch.models import Division, Membership
from issues.models import Category

from . import services
from .models import (
    CategoryKind,
    CommitteeMember,
    Contract,
    Kind,
    Need,
    Offer,
    Project,
    Resource,
    Unit,
)

SHUSHENG, YUEDU, LANTING_VILLAGE = "330602002045", "330602002001", "330603008250"

# Which kinds of resource may answer which issue categories.
CATEGORY_KINDS = {
    "environment": [Kind.SANITATION, Kind.VOLUNTEERS],
    "elderly": [Kind.MEDICAL, Kind.VOLUNTEERS, Kind.VENUE],
    "roads": [Kind.PARKING, Kind.FUNDS],
    "water": [Kind.FUNDS],
    "housing": [Kind.FUNDS, Kind.VOLUNTEERS],
    "employment": [Kind.EDUCATION],
    "disputes": [Kind.VOLUNTEERS, Kind.VENUE],
    "other": [Kind.VENUE, Kind.FITNESS, Kind.EDUCATION],
}

# (name, kind, the unit's division)
UNITS = [
    ("演示区人民医院", Unit.Kind.HOSPITAL, "330602000000"),
    ("演示实验小学", Unit.Kind.SCHOOL, "330602002000"),
    ("演示供电公司", Unit.Kind.ENTERPRISE, "330602000000"),
    ("演示区税务局", Unit.Kind.AGENCY, "330602000000"),
    ("演示农商银行兰亭支行", Unit.Kind.ENTERPRISE, "330603008000"),
    ("演示区中医院", Unit.Kind.HOSPITAL, "330603000000"),
]

# (unit, community, title, step, items, resources, projects)
CONTRACTS = [
    (
        "演示区人民医院",
        SHUSHENG,
        "书圣故里·医疗健康共建契约",
        Contract.Step.EVALUATE,
        [("service", "unit", "每月社区义诊"), ("resource", "community", "提供活动室作健康小屋")],
        [("社区健康小屋义诊", Kind.MEDICAL, "每月第一个周六上午")],
        [("独居老人健康随访", Kind.MEDICAL, Project.Status.DONE, 100)],
    ),
    (
        "演示实验小学",
        SHUSHENG,
        "书圣故里·“四点半课堂”共建契约",
        Contract.Step.PERFORM,
        [("personalised", "unit", "放学后托管辅导"), ("service", "community", "组织志愿者护学")],
        [
            ("学校操场错时开放", Kind.FITNESS, "工作日 17:00–19:00"),
            ("四点半课堂", Kind.EDUCATION, "工作日放学后"),
        ],
        [("四点半课堂", Kind.EDUCATION, Project.Status.UNDER_WAY, 60)],
    ),
    (
        "演示供电公司",
        YUEDU,
        "越都·停车与用电共建契约",
        Contract.Step.PUBLICISE,
        [
            ("resource", "unit", "夜间开放单位停车场"),
            ("responsibility", "unit", "老旧小区线路检修"),
        ],
        [("单位停车场夜间共享", Kind.PARKING, "每日 18:00–次日 7:30")],
        [("老旧小区线路改造", Kind.FUNDS, Project.Status.UNDER_WAY, 35)],
    ),
    (
        "演示区税务局",
        YUEDU,
        "越都·环境卫生共建契约",
        Contract.Step.SIGN,
        [("service", "unit", "每月志愿清扫"), ("responsibility", "unit", "包干背街小巷卫生")],
        [("党员志愿清扫队", Kind.SANITATION, "每月第二个周六")],
        [("背街小巷保洁", Kind.SANITATION, Project.Status.PLANNED, 0)],
    ),
    (
        "演示农商银行兰亭支行",
        LANTING_VILLAGE,
        "兰亭村·助农金融共建契约",
        Contract.Step.NEGOTIATE,
        [("service", "unit", "上门办理社保卡")],
        [],
        [],
    ),
    (
        "演示区中医院",
        LANTING_VILLAGE,
        "兰亭村·中医进村共建契约",
        Contract.Step.PERFORM,
        [("service", "unit", "中医巡诊"), ("resource", "community", "文化礼堂作巡诊点")],
        [("中医巡诊", Kind.MEDICAL, "每两周一次"), ("村道养护互助金", Kind.FUNDS, "按需申请")],
        [("居家养老助浴", Kind.VOLUNTEERS, Project.Status.UNDER_WAY, 50)],
    ),
]

# (unit, community, name) — part-time committee members (兼职委员), fictional names.
MEMBERS = [
    ("演示区人民医院", SHUSHENG, "周医生"),
    ("演示实验小学", SHUSHENG, "吴老师"),
    ("演示供电公司", YUEDU, "郑经理"),
    ("演示区中医院", LANTING_VILLAGE, "王主任"),
]
NEEDS = [
    (YUEDU, "居民夜间停车难", "演示供电公司", Need.Status.MET),
    (SHUSHENG, "老年食堂缺少厨房设备", None, Need.Status.OPEN),
    (LANTING_VILLAGE, "农村电商培训", "演示农商银行兰亭支行", Need.Status.CLAIMED),
]
OFFERS = [
    ("演示区人民医院", YUEDU, "急救知识培训进社区"),
    ("演示实验小学", SHUSHENG, "暑期托管班"),
]


def _office(code: str):
    """An office member over `code` (its town's, else any above) to act in the demo."""
    for length in (9, 6, 4):
        prefix = code[:length] + "0" * (12 - length)
        member = (
            Membership.objects.filter(division_id=prefix, role=Membership.Role.OFFICE)
            .select_related("user")
            .first()
        )
        if member is not None:
            return member.user
    return get_user_model().objects.filter(is_superuser=True).first()


def seed_co_building(stdout=None) -> int:
    """Create the demo's co-building rows unless a contract exists. Returns contracts made."""
    for code, kinds in CATEGORY_KINDS.items():
        category = Category.objects.filter(code=code).first()
        for kind in kinds if category else []:
            CategoryKind.objects.get_or_create(category=category, kind=kind)
    if Contract.objects.exists():
        return 0
    needed = {SHUSHENG, YUEDU, LANTING_VILLAGE}
    if Division.objects.filter(code__in=needed).count() < len(needed):
        return 0
    start = datetime.date(2025, 3, 1)
    with transaction.atomic():
        units = {
            name: Unit.objects.get_or_create(
                name=name, defaults={"kind": kind, "division_id": division}
            )[0]
            for name, kind, division in UNITS
        }
        for unit_name, community, title, step, items, resources, projects in CONTRACTS:
            actor = _office(community)
            contract = services.open_contract(
                actor=actor,
                unit=units[unit_name],
                community=Division.objects.get(code=community),
                title=title,
                note="双方座谈，互提需求清单和资源清单。",
                items=items,
                on=start,
            )
            for n, name in enumerate(Contract.STEPS[1 : Contract.STEPS.index(step) + 1], 1):
                contract = services.advance_contract(
                    actor=actor,
                    contract=contract,
                    step=name,
                    note=STEP_NOTES[name],
                    on=start + datetime.timedelta(days=30 * n),
                    score=92 if name == Contract.Step.EVALUATE else None,
                )
            for name, kind, availability in resources:
                Resource.objects.create(
                    name=name,
                    kind=kind,
                    unit=units[unit_name],
                    community_id=community,
                    contract=contract,
                    availability=availability,
                )
            for name, kind, status, progress in projects:
                Project.objects.create(
                    name=name,
                    kind=kind,
                    unit=units[unit_name],
                    community_id=community,
                    contract=contract,
                    status=status,
                    progress=progress,
                )
        for unit_name, community, name in MEMBERS:
            CommitteeMember.objects.create(
                unit=units[unit_name], community_id=community, name=name, started_on=start
            )
        for community, title, unit_name, status in NEEDS:
            need = Need.objects.create(community_id=community, title=title)
            if unit_name:
                services.claim_need(actor=_office(community), need=need, unit=units[unit_name])
            if status == Need.Status.MET:
                services.meet_need(actor=_office(community), need=need)
        for unit_name, community, title in OFFERS:
            Offer.objects.create(unit=units[unit_name], community_id=community, title=title)
    if stdout is not None:
        stdout.write(f"Seeded {len(CONTRACTS)} demo co-building contracts.")
    return len(CONTRACTS)


STEP_NOTES = {
    Contract.Step.SIGN: "签订双向服务契约，明确责任、服务、资源和个性清单。",
    Contract.Step.PUBLICISE: "在社区公示栏和亮约页公开契约内容。",
    Contract.Step.PERFORM: "按清单开展服务，台账齐全。",
    Contract.Step.EVALUATE: "居民代表和社区党委评议，群众满意。",
}
