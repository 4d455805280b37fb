"""Who serves where: the one source of a user's jurisdiction, and coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, Q

from .models import Division, Membership, Posting, Tier, code_prefix, subtree_q

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
    # The kinds of the user's active postings (Posting.Kind values).
    posting_kinds: frozenset[str] = field(default_factory=frozenset)
    # Grids (ids) whose issues a grid member sees and handles at village tier.
    grid_at: frozenset[int] = field(default_factory=frozenset)
    # Departments the user is a member of (部门承办人): they see only the issues assigned to
    # these departments (as lead or co-handler), not a subtree.
    department_at: frozenset[int] = field(default_factory=frozenset)

    @property
    def office_prefixes(self) -> tuple[str, ...]:
        """The subtrees of the user's offices (not their postings or leaderships)."""
        return tuple(sorted(code_prefix(code) for code in self.office_at))

    def q(self, lookup: str) -> Q:
        """Rows whose division code at `lookup` lies in the jurisdiction."""
        return Q() if self.is_superuser else subtree_q(lookup, self.prefixes)

    def office_q(self, lookup: str, *, strictly_below: bool = False) -> Q:
        """Rows whose division code at `lookup` lies under one of the user's offices; with
        `strictly_below`, not the office's own division (an office appoints below itself)."""
        if self.is_superuser:
            return Q()
        q = subtree_q(lookup, self.office_prefixes)
        return q & ~Q(**{f"{lookup}__in": self.office_at}) if strictly_below else q

    def grid_q(self, lookup: str) -> Q:
        """Rows whose grid (id at `lookup`) is one the user serves as a grid member."""
        return Q(**{f"{lookup}__in": self.grid_at}) if self.grid_at else Q(pk__in=[])

    def sees(self, code: str) -> bool:
        return self.is_superuser or code.startswith(self.prefixes)

    def is_over(self, code: str) -> bool:
        """Whether `code` lies under one of the user's offices."""
        return self.is_superuser or code.startswith(self.office_prefixes)

    @property
    def administers(self) -> bool:
        """Whether the user does office work somewhere (an office member or a superuser)."""
        return self.is_superuser or bool(self.office_at)

    @property
    def keeps_enterprise_diary(self) -> bool:
        """Whether every posting of the user is in an enterprise (驻企): their diary is the
        企情日记, where everyone else keeps a 民情日记."""
        return self.posting_kinds == {Posting.Kind.ENTERPRISE}

    def is_office_of(self, code: str) -> bool:
        return self.is_superuser or code in self.office_at

    def is_superior_of(self, code: str) -> bool:
        """Whether the user is an office member or leader of `code` or of one of its
        ancestors (at or above its tier): who may issue a supervision order to its holder."""
        if self.is_superuser:
            return True
        return any(code.startswith(code_prefix(c)) for c in self.office_at | self.leader_at)


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
        postings = list(
            Posting.objects.active().filter(cadre__user=user).values_list("division_id", "kind")
        )
        cadre_at = {code for code, _kind in postings}
        office_at: set[str] = set()
        leader_at: set[str] = set()
        grid_at: set[int] = set()
        department_at: set[int] = set()
        tiers: dict[str, str] = {}
        for code, tier, role, grid, department in Membership.objects.filter(user=user).values_list(
            "division_id", "division__tier", "role", "grid_id", "department_id"
        ):
            if role == Membership.Role.GRID:
                # A grid is no subtree: it adds the grid's issues, not the village's.
                grid_at.add(grid)
                continue
            if role == Membership.Role.DEPARTMENT:
                department_at.add(department)
                continue
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
            posting_kinds=frozenset(kind for _code, kind in postings),
            office_at=frozenset(office_at),
            leader_at=frozenset(leader_at),
            grid_at=frozenset(grid_at),
            department_at=frozenset(department_at),
        )
    user._sanbufu_jurisdiction = result  # type: ignore[attr-defined]
    return result


def display_name(user: Actor) -> str:
    """A cadre's name, else the login's full name or username; '' for nobody (the system).
    Load `cadre` with the user (select_related("…__cadre")) where a page names many."""
    if user is None:
        return ""
    try:
        return user.cadre.name
    except ObjectDoesNotExist:
        return user.get_full_name() or user.username


def uncovered_villages(division: Division, on=None):
    """Village-tier divisions within `division` that have no active posting (派驻覆盖全域化)."""
    active = Posting.objects.active(on).filter(division=OuterRef("pk"))
    return Division.objects.within(division.code).filter(tier=Tier.VILLAGE).exclude(Exists(active))


def coverage(division: Division, on=None) -> dict:
    """Counts of villages and communities in a subtree, and the codes of the uncovered ones."""
    villages = Division.objects.within(division.code).filter(tier=Tier.VILLAGE)
    total = villages.count()
    uncovered = list(uncovered_villages(division, on).values_list("code", flat=True))
    return {
        "division": division.code,
        "villages": total,
        "covered": total - len(uncovered),
        "uncovered": uncovered,
    }
