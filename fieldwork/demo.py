"""Demo field work: a few households in each demo village, a city-wide campaign of visits,
and cadres sent down (下沉) to 书圣故里社区 to visit old people living alone, with entries that
tick duties and name households, so the pages have something to show. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from diaries.services import log_diary_entry
from dispatch.models import Cadre, Division, Membership, Posting

from . import services
from .models import Campaign, Household

FAMILIES = ["王", "李", "陈", "赵", "孙", "周"]
SHUSHENG = "330602002045"  # 书圣故里社区
CITY = "330600000000"
# (username, name, agency): agency staff sent down to the community.
SENT_DOWN = [
    ("xiachen_wang", "演示下沉干部甲", "市卫生健康委"),
    ("xiachen_li", "演示下沉干部乙", "市民政局"),
    ("xiachen_zhao", "演示下沉干部丙", "区机关事务局"),
]
TASKS = ["独居老人照料走访", "测量血压并登记", "代购生活物资"]


def seed_fieldwork(stdout=None, *, password_hash: str | None = None) -> int:
    """Seed the demo's field work unless there is a campaign already; the rows created."""
    if Campaign.objects.exists() or not Division.objects.filter(code=SHUSHENG).exists():
        return 0
    today = timezone.localdate()
    created = 0
    with transaction.atomic():
        postings = list(
            Posting.objects.active(today)
            .exclude(kind=Posting.Kind.ENTERPRISE)
            .select_related("cadre__user", "division")
            .order_by("division_id", "pk")
        )
        for posting in {p.division_id: p for p in postings}.values():
            for n, family in enumerate(FAMILIES, start=1):
                services.add_household(
                    actor=posting.cadre.user,
                    village=posting.division,
                    label=f"{posting.division.name}{n}号 {family}家",
                )
                created += 1
        city_office = (
            Membership.objects.filter(division_id=CITY, role=Membership.Role.OFFICE)
            .select_related("user")
            .first()
        )
        over_community = (
            Membership.objects.filter(
                division_id__in=["330602002000", "330602000000", CITY],
                role=Membership.Role.OFFICE,
            )
            .select_related("user")
            .order_by("-division_id")
            .first()
        )
        if city_office is None or over_community is None:
            return created
        services.open_campaign(
            actor=city_office.user,
            name="冬季大走访",
            kind=Campaign.Kind.VISITS,
            within=CITY,
            started_on=today - timedelta(days=14),
            ended_on=today + timedelta(days=16),
            target_per_posting=8,
        )
        users = get_user_model()
        cadres = []
        for username, name, agency in SENT_DOWN:
            user, _new = users.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@sanbufu.invalid", "password": password_hash or ""},
            )
            if not password_hash and _new:
                from sanbufu.demo import DEMO_PASSWORD

                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            cadre, _new = Cadre.objects.get_or_create(
                user=user, defaults={"name": name, "agency": agency}
            )
            cadres.append(cadre)
        deployment = services.deploy_cadres(
            actor=over_community.user,
            division=SHUSHENG,
            cadres=cadres,
            started_on=today - timedelta(days=3),
            ended_on=today + timedelta(days=18),
            tasks=TASKS,
        )
        created += 2 + len(cadres)
        homes = list(Household.objects.filter(village_id=SHUSHENG).order_by("label"))
        for i, posting in enumerate(deployment.postings.select_related("cadre__user")):
            log_diary_entry(
                actor=posting.cadre.user,
                posting=posting,
                kind="people",
                visited_on=today - timedelta(days=i % 3),
                households_visited=2,
                summary="上门看望独居老人，测量血压，登记所需生活物资。",
                duties=TASKS[: 1 + i % len(TASKS)],
                households=homes[2 * i : 2 * i + 2],
            )
            created += 1
    if stdout is not None:
        stdout.write(f"Field work: {created} rows created.")
    return created
