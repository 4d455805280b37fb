"""Field work beside the diary: the register of households a cadre visits, campaigns of
visits (大走访、大宣讲、大排解) and 下沉 deployments of cadres to one community.

Depends on dispatch only; diaries names households (DiaryEntry.households), and the reads that
count diary entries live in fieldwork.selectors."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Division, Grid, Posting, Tier
from dispatch.services import jurisdiction


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user) -> HouseholdQuerySet:
        return self.filter(jurisdiction(user).q("village__code"))

    def current(self) -> HouseholdQuerySet:
        """Still living there: the ones a visit may name and the lists of the unvisited."""
        return self.filter(left_on__isnull=True)

    def present_during(self, since) -> HouseholdQuerySet:
        """In the register for some of a period starting on `since` (coverage shares)."""
        return self.filter(models.Q(left_on__isnull=True) | models.Q(left_on__gt=since))


class Household(models.Model):
    """A household of a village or community, by a label the cadre chooses (a house number, a
    family name: never an identity number), so that visits can name it."""

    village = models.ForeignKey(
        Division,
        verbose_name=_("village or community"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
    )
    label = models.CharField(
        _("label"),
        max_length=60,
        help_text=_("A house number or a family name; no identity numbers."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Moved away (搬离) or otherwise gone from the village: kept, with its visits, but no longer
    # named by a visit nor counted after that day.
    left_on = models.DateField(_("moved away on"), null=True, blank=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village", "label"]
        constraints = [
            models.UniqueConstraint(fields=["village", "label"], name="household_unique_label"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.village_id and self.village.tier != Tier.VILLAGE:
            raise ValidationError({"village": _("A household lies in a village or community.")})
        if self.grid_id and self.grid.division_id != self.village_id:
            raise ValidationError({"grid": _("The grid lies in another division.")})


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user) -> CampaignQuerySet:
        """Campaigns over a subtree the user serves, and those covering one of their posts
        (a cadre sees the campaigns their village takes part in)."""
        j = jurisdiction(user)
        if j.is_superuser:
            return self.all()
        q = j.q("within__code")
        for code in j.cadre_at:
            # The campaign's subtree holds the post: its code's prefix starts the post's code.
            q |= Q(within__code__in=_ancestors(code))
        return self.filter(q)


def _ancestors(code: str) -> list[str]:
    """The codes of `code` and its ancestors (a village's town, county and city)."""
    return [code[:n] + "0" * (12 - n) for n in (4, 6, 9, 12)]


class Campaign(models.Model):
    """A campaign of visits an office opens over its subtree for a period: every diary entry
    in the period and subtree counts towards it."""

    class Kind(models.TextChoices):
        VISITS = "visits", _("door-to-door visits (大走访)")
        OUTREACH = "outreach", _("policy outreach (大宣讲)")
        MEDIATION = "mediation", _("dispute mediation (大排解)")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    within = models.ForeignKey(
        Division, verbose_name=_("within"), on_delete=models.PROTECT, related_name="campaigns"
    )
    started_on = models.DateField(_("starts on"))
    ended_on = models.DateField(_("ends on"))
    target_per_posting = models.PositiveSmallIntegerField(_("target visits per posting"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="campaign_period_ordered", condition=Q(ended_on__gte=models.F("started_on"))
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DeploymentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DeploymentQuerySet:
        return self.filter(jurisdiction(user).q("division__code"))


class Deployment(models.Model):
    """Cadres sent down (下沉) to one community for a period with a list of tasks: each gets
    a temporary posting there, ending on `ended_on`, whose duties are the tasks."""

    division = models.ForeignKey(
        Division,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="deployments",
    )
    started_on = models.DateField(_("starts on"))
    ended_on = models.DateField(_("ends on"))
    tasks = models.JSONField(_("tasks"), default=list, blank=True)
    postings = models.ManyToManyField(
        Posting, verbose_name=_("temporary postings"), related_name="deployments", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deployed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="deployment_period_ordered",
                condition=Q(ended_on__gte=models.F("started_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division} {self.started_on}–{self.ended_on}"
