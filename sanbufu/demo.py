"""Demo issues: a few weeks of diary entries and issues in every state and tier.

Everything goes through the services with back-dated moments, so the timelines, deadlines
and statistics are the ones the real loop would have produced. Deterministic (a seeded
random generator) and run only when there are no issues yet, so seeding twice changes nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from diaries.services import log_diary_entry
from dispatch.models import Department, Grid, Membership, Posting, Tier, ancestor_code
from issues import services, sweep
from issues.models import Category, Issue

# Every demo login has this password; their addresses are in a domain that cannot exist
# (RFC 2606), which is also how the login page finds them when DEBUG is on.
DEMO_PASSWORD = "sanbufu-demo"
DEMO_EMAIL_DOMAIN = "sanbufu.invalid"

# The categories are the default catalogue (issues migration 0006); the demo gives two of them
# deadlines of their own: work safety is urgent, enterprise approvals take longer at county tier.
DEADLINES = {
    "safety": {"village_days": 1, "town_days": 3},
    "enterprise_approval": {"county_days": 10},
}

PEOPLE_ISSUES = [
    ("water", "村口自来水管破裂", "三组村口主管道破裂，二十多户停水。"),
    ("water", "雨后低洼处积水", "菜市场旁低洼路段一下雨就积水，老人出行不便。"),
    ("roads", "机耕路塌方", "通往茶园的机耕路一段塌方，农用车无法通行。"),
    ("roads", "路灯不亮", "文化礼堂到公交站一段路灯坏了两个星期。"),
    ("environment", "垃圾清运不及时", "垃圾分类点满溢，清运车三天没来。"),
    ("environment", "河道漂浮物", "村前小河漂浮物较多，有异味。"),
    ("housing", "危房改造申请", "独居老人房屋漏雨，申请危房改造。"),
    ("employment", "医保缴费咨询", "灵活就业人员不清楚医保如何续缴。"),
    ("elderly", "居家养老上门服务", "两位失能老人需要助浴上门服务。"),
    ("disputes", "宅基地边界纠纷", "两户相邻宅基地边界有争议，多次协商未果。"),
    ("land", "设施农用地审批", "家庭农场想建农机库房，不清楚审批流程。"),
    ("other", "快递点设置", "村民希望在村委附近设快递代收点。"),
]
ENTERPRISE_ISSUES = [
    (
        "enterprise_approval",
        "防护服生产线扩产审批",
        "新增两条医用防护服生产线，需要环评和消防审批加快。",
    ),
    ("enterprise_labour", "熟练缝纫工短缺", "订单增加，缺熟练缝纫工约四十人。"),
    ("safety", "仓库消防通道被占", "厂区仓库消防通道堆放原料，存在隐患。"),
    ("roads", "货车进出限行", "厂门口道路限行，原料货车进出困难。"),
    ("employment", "外地员工子女入学", "外地员工子女就近入学需要协调。"),
]
RESOLUTIONS = [
    "已联系相关人员现场处理完毕。",
    "已协调施工队修复，群众表示满意。",
    "已解释政策并协助办理。",
    "已召集双方调解，达成一致。",
]


def ensure_categories() -> None:
    for code, days in DEADLINES.items():
        Category.objects.filter(code=code).update(**days)


def _at(day, rng: random.Random) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, time(hour=rng.randint(8, 17), minute=rng.randint(0, 59)))
    )


def seed_issues(stdout=None, *, weeks: int = 4, seed: int = 2026) -> int:
    """Seed `weeks` weeks of diaries and issues, unless any issue exists. Returns the count."""
    ensure_categories()
    if Issue.objects.exists():
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    offices = {}
    leaders = {}
    for m in Membership.objects.exclude(
        role__in=[Membership.Role.GRID, Membership.Role.DEPARTMENT]
    ).select_related("user"):
        target = offices if m.role == Membership.Role.OFFICE else leaders
        target.setdefault(m.division_id, m.user)
    departments = {}
    for d in Department.objects.all():
        departments.setdefault(d.division_id, []).append(d)

    postings = list(
        Posting.objects.active(today).select_related("cadre__user", "division", "enterprise")
    )
    grids: dict[str, list[int]] = {}
    for grid in Grid.objects.order_by("pk"):
        grids.setdefault(grid.division_id, []).append(grid.pk)
    with transaction.atomic():
        for posting in postings:
            pool = ENTERPRISE_ISSUES if posting.kind == Posting.Kind.ENTERPRISE else PEOPLE_ISSUES
            for week in range(weeks, 0, -1):
                visit = today - timedelta(days=7 * week - rng.randint(0, 4))
                visit = max(visit, posting.started_on)
                if visit > today:
                    continue
                picks = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
                specs = []
                for code, title, description in picks:
                    on_spot = rng.random() < 0.45
                    specs.append(
                        {
                            "category": code,
                            "title": title,
                            "description": description,
                            "reporter_name": rng.choice(["王阿姨", "李师傅", "陈先生", "赵女士"]),
                            "reporter_phone": f"138{rng.randint(10000000, 99999999)}",
                            "resolved_on_spot": on_spot,
                            "resolution": rng.choice(RESOLUTIONS) if on_spot else "",
                            # The village's grids, where it has them (一网格一支部).
                            "grid": rng.choice(grids[posting.division_id])
                            if posting.division_id in grids
                            and posting.kind != Posting.Kind.ENTERPRISE
                            else None,
                        }
                    )
                entry = log_diary_entry(
                    actor=posting.cadre.user,
                    posting=posting,
                    kind="enterprise" if posting.kind == Posting.Kind.ENTERPRISE else "people",
                    visited_on=visit,
                    households_visited=rng.randint(3, 12),
                    summary="走访农户和企业，听取意见建议。",
                    issues=specs,
                    now=_at(visit, rng),
                )
                for issue in entry.issues.all():
                    if not issue.is_resolved:
                        _play(issue, posting, rng, now, offices, leaders, departments)
        # Whatever stayed past its deadline climbs now, as the hourly sweep would have done.
        sweep.escalate_overdue(as_of=now)
    count = Issue.objects.count()
    if stdout is not None:
        stdout.write(f"Seeded {count} demo issues.")
    return count


def _play(issue, posting, rng, now, offices, leaders, departments) -> None:
    """Walk one issue some way along the loop, each step a little later than the last."""
    cadre = posting.cadre.user
    clock = issue.raised_at

    def later(hours_lo: int, hours_hi: int):
        nonlocal clock
        clock = clock + timedelta(hours=rng.randint(hours_lo, hours_hi))
        return clock if clock < now else None

    fate = rng.random()
    if fate < 0.25:
        if at := later(4, 40):
            issue = services.resolve_issue(
                actor=cadre, issue=issue, resolution=rng.choice(RESOLUTIONS), now=at
            )
            _feedback(issue, rng, now, offices, later)
        return
    if fate < 0.35:
        return  # still at the front line; the sweep takes it up if it runs late
    if not (at := later(2, 30)):
        return
    issue = services.escalate_issue(
        actor=cadre,
        issue=issue,
        reason=rng.choice(["beyond_authority", "multi_department"]),
        note="村里协调不了，提交镇街。",
        now=at,
    )
    town = ancestor_code(issue.division_id, Tier.TOWN)
    town_office = offices.get(town)
    if town_office is None:
        return
    step = rng.random()
    if step < 0.1 and (at := later(4, 20)):
        services.return_issue(
            actor=town_office, issue=issue, reason="属村级事务", note="请村里先行处理。", now=at
        )
        return
    if step < 0.55 and departments.get(town) and (at := later(4, 30)):
        issue = services.assign_issue(
            actor=town_office,
            issue=issue,
            department=rng.choice(departments[town]),
            note="周例会研究后交办。",
            now=at,
        )
        if rng.random() < 0.7 and (at := later(24, 96)):
            issue = services.resolve_issue(
                actor=town_office, issue=issue, resolution=rng.choice(RESOLUTIONS), now=at
            )
            _feedback(issue, rng, now, offices, later)
        return
    if step < 0.85 and (at := later(24, 72)):
        issue = services.escalate_issue(
            actor=town_office,
            issue=issue,
            reason="multi_level",
            note="涉及县级部门，提交县里。",
            now=at,
        )
        county = ancestor_code(issue.division_id, Tier.COUNTY)
        leader = leaders.get(county)
        if leader is None or not (at := later(4, 48)):
            return
        issue = services.claim_issue(actor=leader, issue=issue, now=at)
        if departments.get(county) and (at := later(4, 24)):
            issue = services.assign_issue(
                actor=leader, issue=issue, department=rng.choice(departments[county]), now=at
            )
        if rng.random() < 0.6 and (at := later(48, 120)):
            issue = services.resolve_issue(
                actor=leader, issue=issue, resolution="县领导认领后协调各部门解决。", now=at
            )
            _feedback(issue, rng, now, offices, later)


def _feedback(issue, rng, now, offices, later) -> None:
    office = offices.get(ancestor_code(issue.division_id, Tier.TOWN))
    if office is None or rng.random() < 0.3 or not (at := later(6, 48)):
        return
    rating = rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], weights=[70, 22, 8])[
        0
    ]
    services.record_feedback(
        actor=office, issue=issue, rating=rating, note="电话回访报告人。", now=at
    )
