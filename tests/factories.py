"""factory_boy factories with deterministic defaults.

Divisions are real codes: `division(code)` gets or creates a division and all its
ancestors, with the real name where `KNOWN_NAMES` has it. Default rows sit in Keqiao's
Lanting street (兰亭街道), so a test that needs "some village" gets a real place.
"""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory, Password

from dispatch.models import (
    Cadre,
    Department,
    Division,
    Enterprise,
    Grid,
    Membership,
    Posting,
    Tier,
    ancestor_code,
    credit_code_check_char,
    tier_above,
    tier_of_code,
)

# ---------------------------------------------------------------------------------------------
# Territory
# ---------------------------------------------------------------------------------------------

# Real codes from ../shared/data (统计用区划代码 2023); tests key on codes, never on names.
KNOWN_NAMES = {
    "330600000000": "绍兴市",
    "330602000000": "越城区",
    "330603000000": "柯桥区",
    "330681000000": "诸暨市",
    "330683000000": "嵊州市",
    "330602002000": "府山街道",
    "330603008000": "兰亭街道",
    "330683105000": "石璜镇",
    "330681201000": "东和乡",
    "330602002045": "书圣故里社区",
    "330602002001": "越都社区",
    "330603008250": "兰亭村",
    "330603008258": "谢家坞村",
    "330683105265": "楼家村",
    "330681201247": "龙溪村",
}
LANTING_VILLAGE = "330603008250"
LANTING_STREET = "330603008000"


def division(code: str, name: str | None = None) -> Division:
    """Get or create the division `code` and its ancestors."""
    tier = tier_of_code(code)
    if tier is None:
        raise ValueError(f"{code!r} is not a division code")
    parent = None if tier == Tier.CITY else division(ancestor_code(code, tier_above(tier)))
    obj, _ = Division.objects.get_or_create(
        code=code,
        defaults={
            "name": name or KNOWN_NAMES.get(code, f"测试{code}"),
            "tier": tier,
            "parent": parent,
        },
    )
    return obj


def credit_code(first17: str) -> str:
    """A unified social credit code: `first17` followed by its check character."""
    return first17 + credit_code_check_char(first17)


class DivisionFactory(DjangoModelFactory):
    """A village under 兰亭街道 with a code no real village uses (700-999)."""

    class Meta:
        model = Division
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"330603008{700 + n % 300:03d}")
    name = factory.LazyAttribute(lambda o: KNOWN_NAMES.get(o.code, f"测试村{o.code[-3:]}"))
    tier = factory.LazyAttribute(lambda o: tier_of_code(o.code))
    parent = factory.LazyAttribute(
        lambda o: (
            None if o.tier == Tier.CITY else division(ancestor_code(o.code, tier_above(o.tier)))
        )
    )


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise
        django_get_or_create = ("credit_code",)

    name = factory.Sequence(lambda n: f"测试纺织有限公司{n}")
    # 91 (enterprise), 330603 (Keqiao), then a serial; the 18th character is computed.
    credit_code = factory.Sequence(lambda n: credit_code(f"91330603MA2{n:06d}"))
    division = factory.LazyFunction(lambda: division(LANTING_VILLAGE))


class GridFactory(DjangoModelFactory):
    class Meta:
        model = Grid
        django_get_or_create = ("division", "name")

    name = factory.Sequence(lambda n: f"第{n + 1}网格")
    division = factory.LazyFunction(lambda: division(LANTING_VILLAGE))
    party_branch = factory.LazyAttribute(lambda o: f"{o.name}党支部")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("division", "name")

    name = factory.Sequence(lambda n: f"测试办{n}")
    division = factory.LazyFunction(lambda: division(LANTING_STREET))


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------

DEFAULT_PASSWORD = "password"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = Password(DEFAULT_PASSWORD)


class CadreFactory(DjangoModelFactory):
    class Meta:
        model = Cadre
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"演示干部{n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    agency = "区农业农村局"


class PostingFactory(DjangoModelFactory):
    class Meta:
        model = Posting

    cadre = factory.SubFactory(CadreFactory)
    kind = Posting.Kind.VILLAGE
    enterprise = None
    division = factory.LazyAttribute(
        lambda o: o.enterprise.division if o.enterprise else division(LANTING_VILLAGE)
    )
    started_on = datetime.date(2024, 1, 1)
    ended_on = None
    duties = factory.LazyFunction(lambda: ["走访农户", "收集民情", "协调解决问题"])


class EnterprisePostingFactory(PostingFactory):
    kind = Posting.Kind.ENTERPRISE
    enterprise = factory.SubFactory(EnterpriseFactory)
    duties = factory.LazyFunction(lambda: ["走访企业", "收集企情", "协助政策落地"])


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership
        django_get_or_create = ("user", "division", "role")

    user = factory.SubFactory(UserFactory)
    division = factory.LazyFunction(lambda: division(LANTING_STREET))
    role = Membership.Role.OFFICE


class DepartmentMembershipFactory(DjangoModelFactory):
    """A department member (部门承办人): the membership's division is the department's."""

    class Meta:
        model = Membership
        django_get_or_create = ("user", "department")

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    division = factory.LazyAttribute(lambda o: o.department.division)
    role = Membership.Role.DEPARTMENT


# ---------------------------------------------------------------------------------------------
# Issues
# ---------------------------------------------------------------------------------------------


class CategoryFactory(DjangoModelFactory):
    """A category with the default per-tier deadlines (settings.SANBUFU_DEADLINE_DAYS)."""

    class Meta:
        model = "issues.Category"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    name_zh = factory.Sequence(lambda n: f"测试类别{n}")
    name_en = factory.Sequence(lambda n: f"Test category {n}")

    @classmethod
    def _get_or_create(cls, model_class, *args, **kwargs):
        """The default catalogue already holds the common codes: a test that names one gets it
        with the names and deadlines it asks for."""
        manager = cls._get_manager(model_class)
        return manager.update_or_create(code=kwargs.pop("code"), defaults=kwargs)[0]


class IssueFactory(DjangoModelFactory):
    """An issue raised through `issues.services.raise_issue`, so it has its `raised` event,
    holder and deadline exactly as a real one. Pass `actor` (default: the system), `division`
    (default: 兰亭村), `category`, `now` and `raised_on` as raise_issue takes them."""

    class Meta:
        model = "issues.Issue"

    actor = None
    division = factory.LazyFunction(lambda: division(LANTING_VILLAGE))
    category = factory.SubFactory(CategoryFactory, code="water")
    title = factory.Sequence(lambda n: f"测试问题{n}")
    description = "演示描述"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from issues.services import raise_issue

        return raise_issue(**kwargs)


def bulk_issues(
    n: int,
    *,
    due_at: datetime.datetime,
    tier: str = Tier.VILLAGE,
    divisions: list[str] | None = None,
    category=None,
    raised_on: datetime.date | None = None,
    with_events: bool = True,
    batch_size: int = 5000,
) -> None:
    """Create `n` unresolved issues at `tier` fast (bulk INSERTs, not the services), spread
    over `divisions` (village codes), each held by its origin's ancestor at `tier`, arrived
    a tier's worth of time before `due_at`. For volume tests and benchmarks of the sweep;
    with `with_events` each gets its `raised` event and one `escalated` event per tier
    climbed, so the timeline still replays to the row."""
    from dispatch.models import TIERS
    from issues.models import Issue, IssueEvent

    codes = divisions or [LANTING_VILLAGE]
    for code in codes:
        division(code)
    category = category or CategoryFactory(code="water")
    climbed = TIERS[: TIERS.index(tier) + 1]
    arrived = due_at - datetime.timedelta(days=3)
    raised_on = raised_on or arrived.date()
    for start in range(0, n, batch_size):
        rows = [
            Issue(
                title=f"批量问题{i}",
                category=category,
                division_id=codes[i % len(codes)],
                raised_on=raised_on,
                raised_at=arrived,
                tier=tier,
                holder_id=ancestor_code(codes[i % len(codes)], tier),
                peak_tier=tier,
                arrived_at=arrived,
                due_at=due_at,
                escalation_count=len(climbed) - 1,
            )
            for i in range(start, min(n, start + batch_size))
        ]
        created = Issue.objects.bulk_create(rows)
        if not with_events:
            continue
        if created and created[0].pk is None:
            # Backends that do not return primary keys from bulk INSERTs.
            created = list(Issue.objects.order_by("-id")[: len(rows)])
        events = []
        for issue in created:
            events.append(
                IssueEvent(issue_id=issue.pk, kind="raised", tier_to=TIERS[0], at=arrived)
            )
            events.extend(
                IssueEvent(
                    issue_id=issue.pk,
                    kind="escalated",
                    tier_from=low,
                    tier_to=high,
                    reason="beyond_authority",
                    at=arrived,
                )
                for low, high in zip(climbed, climbed[1:], strict=False)
            )
        IssueEvent.objects.bulk_create(events, batch_size=batch_size)
