"""Who serves where: the one source of a user's jurisdiction, and coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from .models import Division, Membership, Posting, Tier, code_prefix

if TYPE_CHECKING:
    from .actors import Actor


@dataclass(frozen=True)
class Jurisdiction:
    """The division subtrees a user serves, and in which capacity.

    `prefixes` are the code prefixes of every subtree the user sees; the three sets are the
    division codes where the user may act as a cadre (village tier), an office member or a
    leader. A superuser sees and serves everything.
    """

    is_superuser: bool = False
    prefixes: tuple[str, ...] = ()
    cadre_at: frozenset[str] = field(default_factory=frozenset)
    office_at: frozenset[str] = field(default_factory=frozenset)
    leader_at: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not self.is_superuser and not self.prefixes

    def q(self, field_name: str) -> Q:
        """A filter keeping rows whose `field_name` (a division code) is in the jurisdiction."""
        if self.is_superuser:
            return Q()
        if not self.prefixes:
            return Q(pk__in=[])
        q = Q()
        for prefix in self.prefixes:
            q |= Q(**{f"{field_name}__startswith": prefix})
        return q

    def sees(self, code: str) -> bool:
        return self.is_superuser or any(code.startswith(p) for p in self.prefixes)

    def is_office_of(self, code: str) -> bool:
        return self.is_superuser or code in self.office_at

    def is_leader_of(self, code: str) -> bool:
        return self.is_superuser or code in self.leader_at

    def is_cadre_at(self, code: str) -> bool:
        return self.is_superuser or code in self.cadre_at


def jurisdiction(user: Actor) -> Jurisdiction:
    """The jurisdiction of `user`, computed once per user object (two queries)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Jurisdiction()
    cached = getattr(user, "_sanbufu_jurisdiction", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        result = Jurisdiction(is_superuser=True)
    else:
        cadre_at = set(
            Posting.objects.active().filter(cadre__user=user).values_list("division_id", flat=True)
        )
        office_at: set[str] = set()
        leader_at: set[str] = set()
        tiers: dict[str, str] = {}
        for code, tier, role in Membership.objects.filter(user=user).values_list(
            "division_id", "division__tier", "role"
        ):
            tiers[code] = tier
            (office_at if role == Membership.Role.OFFICE else leader_at).add(code)
        for code in cadre_at:
            tiers[code] = Tier.VILLAGE
        prefixes = sorted({code_prefix(code, tier) for code, tier in tiers.items()})
        # Drop prefixes already covered by a shorter one: fewer ORs in every query.
        minimal = tuple(
            p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)
        )
        result = Jurisdiction(
            prefixes=minimal,
            cadre_at=frozenset(cadre_at),
            office_at=frozenset(office_at),
            leader_at=frozenset(leader_at),
        )
    user._sanbufu_jurisdiction = result  # type: ignore[attr-defined]
    return result


def uncovered_villages(division: Division, on=None):
    """Village-tier divisions within `division` that have no active posting (派驻覆盖全域化)."""
    active = Posting.objects.active(on).filter(division=OuterRef("pk"))
    return (
        Division.objects.within(division.code, division.tier)
        .filter(tier=Tier.VILLAGE)
        .exclude(Exists(active))
    )


def coverage(division: Division, on=None) -> dict:
    """Counts of villages and communities in a subtree, and the codes of the uncovered ones."""
    villages = Division.objects.within(division.code, division.tier).filter(tier=Tier.VILLAGE)
    total = villages.count()
    uncovered = list(uncovered_villages(division, on).values_list("code", flat=True))
    return {
        "division": division.code,
        "villages": total,
        "covered": total - len(uncovered),
        "uncovered": uncovered,
    }
