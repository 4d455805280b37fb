"""The territory and the people stationed in it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    VILLAGE = "village", _("village")
    TOWN = "town", _("town")
    COUNTY = "county", _("county")
    CITY = "city", _("city")


# Tiers bottom-up; an issue climbs this list one step at a time.
TIERS: list[str] = [t.value for t in Tier]
# How many leading digits of a 12-digit code name a division of each tier.
PREFIX_LENGTH = {Tier.CITY: 4, Tier.COUNTY: 6, Tier.TOWN: 9, Tier.VILLAGE: 12}
CODE_PATTERNS = {
    Tier.CITY: r"^[0-9]{2}(0[1-9]|[1-9][0-9])0{8}$",
    Tier.COUNTY: r"^[0-9]{4}(0[1-9]|[1-9][0-9])0{6}$",
    Tier.TOWN: r"^[0-9]{6}(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})000$",
    Tier.VILLAGE: r"^[0-9]{9}(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})$",
}


def tier_index(tier: str) -> int:
    return TIERS.index(tier)


def tier_above(tier: str) -> str | None:
    i = TIERS.index(tier)
    return TIERS[i + 1] if i + 1 < len(TIERS) else None


def tier_below(tier: str) -> str | None:
    i = TIERS.index(tier)
    return TIERS[i - 1] if i > 0 else None


def ancestor_code(code: str, tier: str) -> str:
    """The code of `code`'s ancestor (or itself) at `tier`."""
    n = PREFIX_LENGTH[tier]
    return code[:n] + "0" * (12 - n)


def code_prefix(code: str, tier: str | None = None) -> str:
    """The prefix every code in the subtree of `code` starts with; its tier is read off the
    code unless given. ValueError for a string that is no division code."""
    tier = tier or tier_of_code(code)
    if tier is None:
        raise ValueError(f"not a division code: {code!r}")
    return code[: PREFIX_LENGTH[tier]]


def tier_of_code(code: str) -> str | None:
    for tier, pattern in CODE_PATTERNS.items():
        if re.match(pattern, code or ""):
            return tier
    return None


def subtree_q(lookup: str, prefixes: Iterable[str]) -> Q:
    """Rows whose division code at `lookup` starts with one of `prefixes` (the subtrees);
    nothing when there are none. The one place a subtree becomes SQL (`code LIKE 'p%'`, served
    by the pattern indexes)."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(**{f"{lookup}__startswith": prefix})
    return q


def within_q(lookup: str, code: str) -> Q:
    """Rows whose division code at `lookup` lies in the subtree of `code`."""
    return subtree_q(lookup, [code_prefix(code)])


class DivisionQuerySet(models.QuerySet):
    def within(self, code: str) -> DivisionQuerySet:
        return self.filter(within_q("code", code))

    def visible_to(self, user) -> DivisionQuerySet:
        """Divisions in the user's jurisdiction (their subtrees)."""
        from .services import jurisdiction  # services imports this module

        return self.filter(jurisdiction(user).q("code"))


class Division(models.Model):
    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=7, choices=Tier.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = DivisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="division_code_matches_tier",
                condition=Q(tier=Tier.CITY, code__regex=CODE_PATTERNS[Tier.CITY])
                | Q(tier=Tier.COUNTY, code__regex=CODE_PATTERNS[Tier.COUNTY])
                | Q(tier=Tier.TOWN, code__regex=CODE_PATTERNS[Tier.TOWN])
                | Q(tier=Tier.VILLAGE, code__regex=CODE_PATTERNS[Tier.VILLAGE]),
            ),
            # The parent is the code's true ancestor one tier up; a city has none.
            models.CheckConstraint(
                name="division_parent_is_ancestor",
                condition=Q(tier=Tier.CITY, parent__isnull=True)
                | Q(tier=Tier.COUNTY, parent=Concat(Substr("code", 1, 4), models.Value("00000000")))
                | Q(tier=Tier.TOWN, parent=Concat(Substr("code", 1, 6), models.Value("000000")))
                | Q(tier=Tier.VILLAGE, parent=Concat(Substr("code", 1, 9), models.Value("000"))),
            ),
        ]
        indexes = [
            # Subtree lookups (`code LIKE '3306020%'`) on PostgreSQL need a pattern index.
            models.Index(
                fields=["code"], name="division_code_like", opclasses=["varchar_pattern_ops"]
            ),
            # The admin and API search divisions by name.
            models.Index(fields=["name"], name="division_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return code_prefix(self.code, self.tier)


CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """GB 32100-2015 unified social credit code: shape and check character."""
    if not re.match(CREDIT_CODE_PATTERN, value or ""):
        raise ValidationError(
            _("A unified social credit code is 18 characters of digits and capital letters."),
            code="credit_code_shape",
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this credit code is wrong."), code="credit_code_check"
        )


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="enterprises"
    )

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="enterprise_credit_code_shape",
                condition=Q(credit_code__regex=CREDIT_CODE_PATTERN),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.division_id and self.division.tier != Tier.VILLAGE:
            raise ValidationError({"division": _("An enterprise lies in a village-tier division.")})


class Grid(models.Model):
    """A part of a village or community, with its party branch (一网格一支部)."""

    name = models.CharField(_("name"), max_length=100)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="grids"
    )
    party_branch = models.CharField(_("party branch"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["division", "name"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="grid_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.division_id and self.division.tier != Tier.VILLAGE:
            raise ValidationError({"division": _("A grid lies in a village or community.")})


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DepartmentQuerySet:
        """Departments of the divisions in the user's jurisdiction."""
        from .services import jurisdiction  # services imports this module

        return self.filter(jurisdiction(user).q("division__code"))


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="departments"
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["division", "name"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.division_id and self.division.tier == Tier.VILLAGE:
            raise ValidationError(
                {"division": _("A department belongs to a town, county or city.")}
            )


class Cadre(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.CASCADE,
        related_name="cadre",
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    agency = models.CharField(_("agency"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PostingQuerySet(models.QuerySet):
    def active(self, on=None) -> PostingQuerySet:
        day = on or timezone.localdate()
        return self.filter(started_on__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day)
        )

    def of_cadre(self, user) -> PostingQuerySet:
        """The user's own postings, with what their labels need, in a stable order."""
        return (
            self.filter(cadre__user=user)
            .select_related("division", "enterprise")
            .order_by("division__name", "pk")
        )


class Posting(models.Model):
    class Kind(models.TextChoices):
        VILLAGE = "village", _("village instructor")
        COMMUNITY = "community", _("community cadre")
        ENTERPRISE = "enterprise", _("enterprise service officer")
        LIAISON = "liaison", _("people's liaison")

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.CASCADE, related_name="postings"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="postings"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    duties = models.JSONField(_("duties checklist"), default=list, blank=True)

    objects = PostingQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["cadre", "-started_on"]
        constraints = [
            models.CheckConstraint(
                name="posting_enterprise_iff_kind",
                condition=Q(kind="enterprise", enterprise__isnull=False)
                | (~Q(kind="enterprise") & Q(enterprise__isnull=True)),
            ),
            models.CheckConstraint(
                name="posting_term_ordered",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
            ),
        ]
        indexes = [
            # Coverage: active postings by division.
            models.Index(fields=["division", "ended_on"], name="posting_division_term"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} @ {self.division}"

    @property
    def label(self) -> str:
        """Where and as what: 兰亭村（驻村指导员）."""
        place = self.enterprise.name if self.enterprise_id else self.division.name
        return _("%(place)s (%(kind)s)") % {"place": place, "kind": self.get_kind_display()}

    def clean(self) -> None:
        errors = {}
        if self.division_id and self.division.tier != Tier.VILLAGE:
            errors["division"] = _("A posting is at a village, community or enterprise.")
        if self.kind == self.Kind.ENTERPRISE and not self.enterprise_id:
            errors["enterprise"] = _("An enterprise posting names its enterprise.")
        if self.kind != self.Kind.ENTERPRISE and self.enterprise_id:
            errors["enterprise"] = _("Only an enterprise posting names an enterprise.")
        if (
            self.enterprise_id
            and self.division_id
            and self.enterprise.division_id != self.division_id
        ):
            errors["enterprise"] = _("The enterprise lies in another division.")
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            errors["ended_on"] = _("A term ends after it starts.")
        if errors:
            raise ValidationError(errors)


class Membership(models.Model):
    """An office member (三服务办公室) or a leader (领导干部) of a division, a member of one of
    its departments (部门承办人), who sees and works only the issues assigned to it, or a grid
    member (网格员 / 支部书记) of one grid of a village or community."""

    class Role(models.TextChoices):
        OFFICE = "office", _("office member")
        LEADER = "leader", _("leader")
        GRID = "grid", _("grid member")
        DEPARTMENT = "department", _("department member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    # A grid member's grid (in `division`); a grid member sees only the issues of this grid.
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    # Only for role `department`; its division is then the department's own.
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["division", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "division", "role"],
                condition=Q(department__isnull=True),
                name="membership_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "department"],
                condition=Q(department__isnull=False),
                name="membership_unique_department",
            ),
            models.CheckConstraint(
                name="membership_grid_iff_role",
                condition=Q(role="grid", grid__isnull=False)
                | (~Q(role="grid") & Q(grid__isnull=True)),
            ),
            models.CheckConstraint(
                name="membership_department_iff_role",
                condition=Q(role="department", department__isnull=False)
                | (~Q(role="department") & Q(department__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        if self.department_id:
            return f"{self.user} {self.get_role_display()} {self.department}"
        return f"{self.user} {self.get_role_display()} {self.grid or self.division}"

    def clean(self) -> None:
        if self.role == self.Role.DEPARTMENT:
            if not self.department_id:
                raise ValidationError({"department": _("Name the department.")})
            self.division_id = self.department.division_id
            return
        if self.department_id:
            raise ValidationError(
                {"department": _("Only a department member belongs to a department.")}
            )
        if not self.division_id:
            return
        if self.role == self.Role.GRID:
            if not self.grid_id:
                raise ValidationError({"grid": _("A grid member serves one grid.")})
            if self.grid.division_id != self.division_id:
                raise ValidationError({"grid": _("The grid lies in another division.")})
            return
        if self.grid_id:
            raise ValidationError({"grid": _("Only a grid member serves a grid.")})
        if self.division.tier == Tier.VILLAGE:
            raise ValidationError({"division": _("Offices sit at town, county or city tier.")})
        if self.role == self.Role.LEADER and self.division.tier == Tier.TOWN:
            raise ValidationError({"division": _("Leaders serve a county or a city.")})
