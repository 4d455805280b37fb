"""Co-building (社区党建契约化共建): units in the district, their two-way contracts with a
community, the resources and projects they bring, the needs and offers each side may take up,
and the units' people on the communities' party committees."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import (
    CREDIT_CODE_PATTERN,
    PREFIX_LENGTH,
    Division,
    validate_credit_code,
    within_q,
)
from dispatch.services import jurisdiction
from issues.models import Category, Issue


class ScopedQuerySet(models.QuerySet):
    """Rows of the communities in the user's jurisdiction; `scope` names the division code."""

    scope = "community__code"

    def visible_to(self, user):
        return self.filter(jurisdiction(user).q(self.scope))

    def within(self, code: str):
        return self.filter(within_q(self.scope, code))


class UnitQuerySet(ScopedQuerySet):
    scope = "division__code"

    def visible_to(self, user) -> UnitQuerySet:
        """Units in the user's subtrees, and the units of the district, city… above them (a
        county hospital co-builds with a community of one of its towns)."""
        j = jurisdiction(user)
        if j.is_superuser:
            return self.all()
        above = {
            prefix[:n] + "0" * (12 - n)
            for prefix in j.prefixes
            for n in PREFIX_LENGTH.values()
            if n < len(prefix)
        }
        return self.filter(j.q(self.scope) | Q(division_id__in=above))


class Unit(models.Model):
    """A unit in the district (驻区单位) that co-builds with communities."""

    class Kind(models.TextChoices):
        AGENCY = "agency", _("agency")
        ENTERPRISE = "enterprise", _("enterprise")
        HOSPITAL = "hospital", _("hospital")
        SCHOOL = "school", _("school")
        OTHER = "other", _("other unit")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    # Where the unit sits (a town or county usually); its rows are seen from there.
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="units"
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-building unit")
        verbose_name_plural = _("co-building units")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], name="unit_credit_code_unique", condition=~Q(credit_code="")
            ),
            models.CheckConstraint(
                name="unit_credit_code_shape",
                condition=Q(credit_code="") | Q(credit_code__regex=CREDIT_CODE_PATTERN),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContractQuerySet(ScopedQuerySet):
    def publicised(self) -> ContractQuerySet:
        """Contracts the community has made public (亮约) or taken further."""
        return self.filter(step__in=Contract.PUBLIC_STEPS)


class Contract(models.Model):
    """A two-way service contract between a unit and a community, moved through five steps
    in order (谈约 → 签约 → 亮约 → 履约 → 评约), each recorded as a ContractStep."""

    class Step(models.TextChoices):
        NEGOTIATE = "negotiate", _("negotiate (谈约)")
        SIGN = "sign", _("sign (签约)")
        PUBLICISE = "publicise", _("publicise (亮约)")
        PERFORM = "perform", _("perform (履约)")
        EVALUATE = "evaluate", _("evaluate (评约)")

    STEPS: list[str] = [s.value for s in Step]
    PUBLIC_STEPS: list[str] = STEPS[2:]

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="contracts"
    )
    community = models.ForeignKey(
        Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="contracts"
    )
    title = models.CharField(_("title"), max_length=200)
    step = models.CharField(_("step"), max_length=9, choices=Step.choices, default=Step.NEGOTIATE)
    score = models.PositiveSmallIntegerField(_("evaluation score"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-building contract")
        verbose_name_plural = _("co-building contracts")
        ordering = ["community", "unit", "pk"]
        constraints = [
            models.CheckConstraint(
                name="contract_score_when_evaluated",
                condition=Q(step="evaluate", score__isnull=False, score__lte=100)
                | (~Q(step="evaluate") & Q(score__isnull=True)),
            ),
        ]
        indexes = [
            # Statistics and the public page: a subtree's contracts by step.
            models.Index(
                fields=["community", "step"],
                name="contract_community_step",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def next_step(self) -> str | None:
        i = self.STEPS.index(self.step)
        return self.STEPS[i + 1] if i + 1 < len(self.STEPS) else None


class ContractStep(models.Model):
    """One step taken: when, by whom, with what evidence. A step is taken once per contract."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField(_("step"), max_length=9, choices=Contract.Step.choices)
    on = models.DateField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("evidence note"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("contract step")
        verbose_name_plural = _("contract steps")
        ordering = ["contract", "at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "step"], name="contract_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.get_step_display()}"


class Menu(models.TextChoices):
    RESPONSIBILITY = "responsibility", _("responsibility (责任)")
    SERVICE = "service", _("service (服务)")
    RESOURCE = "resource", _("resource (资源)")
    PERSONALISED = "personalised", _("personalised (个性)")


class MenuItem(models.Model):
    """An item a contract takes from one of the four menus; either side provides it."""

    class Side(models.TextChoices):
        UNIT = "unit", _("the unit provides")
        COMMUNITY = "community", _("the community provides")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="items"
    )
    menu = models.CharField(_("menu"), max_length=14, choices=Menu.choices)
    side = models.CharField(_("provided by"), max_length=9, choices=Side.choices)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        verbose_name = _("menu item")
        verbose_name_plural = _("menu items")
        ordering = ["contract", "menu", "pk"]

    def __str__(self) -> str:
        return self.title


class Kind(models.TextChoices):
    """What a resource or project brings; matched to issue categories by CategoryKind."""

    VENUE = "venue", _("venue")
    FUNDS = "funds", _("public funds")
    MEDICAL = "medical", _("medical care")
    EDUCATION = "education", _("education and after-school care")
    VOLUNTEERS = "volunteers", _("volunteers")
    PARKING = "parking", _("parking")
    SANITATION = "sanitation", _("sanitation")
    FITNESS = "fitness", _("fitness")
    OTHER = "other", _("other")


class CategoryKind(models.Model):
    """Data: which kinds of resource may answer issues of a category."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("resource kind"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("category and resource kind")
        verbose_name_plural = _("categories and resource kinds")
        ordering = ["category", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["category", "kind"], name="category_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} ↔ {self.get_kind_display()}"


class Resource(models.Model):
    """A venue, fund, medical service… a unit brings to a community under a contract."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="resources"
    )
    community = models.ForeignKey(
        Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="resources"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
    )
    availability = models.CharField(_("availability"), max_length=200, blank=True)
    available = models.BooleanField(_("available"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["community", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A co-building project (共建项目) a unit carries out in a community."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        UNDER_WAY = "under_way", _("under way")
        DONE = "done", _("done")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="projects"
    )
    community = models.ForeignKey(
        Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="projects"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.PLANNED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-building project")
        verbose_name_plural = _("co-building projects")
        ordering = ["community", "name"]
        constraints = [
            models.CheckConstraint(name="project_progress_percent", condition=Q(progress__lte=100)),
        ]

    def __str__(self) -> str:
        return self.name


class Need(models.Model):
    """What a community needs (需求清单), which a unit may take up (认领); it may come from an
    issue."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("taken up")
        MET = "met", _("met")

    community = models.ForeignKey(
        Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="needs"
    )
    title = models.CharField(_("title"), max_length=200)
    issue = models.OneToOneField(
        Issue,
        verbose_name=_("issue"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="need",
    )
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default="open")
    claimed_by = models.ForeignKey(
        Unit,
        verbose_name=_("taken up by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs_claimed",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community need")
        verbose_name_plural = _("community needs")
        ordering = ["community", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="need_claimed_has_unit",
                condition=Q(status="open") | Q(claimed_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Offer(models.Model):
    """What a unit offers a community (服务清单), which the community may take up."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("taken up")

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="offers"
    )
    community = models.ForeignKey(
        Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="offers"
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit offer")
        verbose_name_plural = _("unit offers")
        ordering = ["community", "-created_at"]

    def __str__(self) -> str:
        return self.title


class CommitteeMemberQuerySet(ScopedQuerySet):
    def serving(self, on=None) -> CommitteeMemberQuerySet:
        day = on or timezone.localdate()
        return self.filter(started_on__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day)
        )


class CommitteeMember(models.Model):
    """A unit's person serving on a community's party committee (兼职委员) for a term."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="committee_members"
    )
    community = models.ForeignKey(
        Division,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="committee_members",
    )
    name = models.CharField(_("name"), max_length=50)
    started_on = models.DateField(_("term starts"))
    ended_on = models.DateField(_("term ends"), null=True, blank=True)

    objects = CommitteeMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("part-time committee member")
        verbose_name_plural = _("part-time committee members")
        ordering = ["community", "name"]
        constraints = [
            models.CheckConstraint(
                name="committee_term_ordered",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerResolution(models.Model):
    """An issue resolved through a co-building partner's resource or project."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="partner_resolutions"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="resolutions"
    )
    resource = models.ForeignKey(
        Resource,
        verbose_name=_("resource"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolutions",
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolutions",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("resolution with a partner")
        verbose_name_plural = _("resolutions with a partner")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                name="partner_resolution_one_source",
                condition=Q(resource__isnull=False, project__isnull=True)
                | Q(resource__isnull=True, project__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue} ← {self.unit}"
