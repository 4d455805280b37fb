"""Issues, their append-only timeline, and the weekly analysis meetings."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dispatch.models import (
    TIERS,
    Department,
    Division,
    Enterprise,
    Grid,
    Posting,
    Tier,
    within_q,
)
from dispatch.services import jurisdiction


class Category(models.Model):
    """A kind of problem; editable data, with optional per-tier deadlines in working days."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50)
    village_days = models.PositiveSmallIntegerField(
        _("village deadline (working days)"), null=True, blank=True
    )
    town_days = models.PositiveSmallIntegerField(
        _("town deadline (working days)"), null=True, blank=True
    )
    county_days = models.PositiveSmallIntegerField(
        _("county deadline (working days)"), null=True, blank=True
    )
    city_days = models.PositiveSmallIntegerField(
        _("city deadline (working days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def deadline_days(self, tier: str) -> int:
        days = getattr(self, f"{tier}_days")
        return days if days is not None else settings.SANBUFU_DEADLINE_DAYS[tier]


class IssueQuerySet(models.QuerySet):
    def visible_to(self, user) -> IssueQuerySet:
        """The only door to issues: those whose origin lies in the user's jurisdiction."""
        return self.filter(jurisdiction(user).q("division__code"))

    def actionable_by(self, user) -> IssueQuerySet:
        """Visible issues whose holder is a division the user serves (at the issue's tier)."""
        j = jurisdiction(user)
        if j.is_superuser:
            return self.all()
        return self.visible_to(user).filter(
            Q(tier=Tier.VILLAGE, holder_id__in=j.cadre_at)
            | Q(holder_id__in=j.office_at | j.leader_at)
        )

    def unresolved(self) -> IssueQuerySet:
        return self.exclude(status=Issue.Status.RESOLVED)

    def overdue(self, as_of: datetime | None = None) -> IssueQuerySet:
        return self.unresolved().filter(due_at__lt=as_of or timezone.now())

    def claimable(self) -> IssueQuerySet:
        return self.filter(status=Issue.Status.OPEN, tier__in=[Tier.COUNTY, Tier.CITY])

    def within(self, code: str) -> IssueQuerySet:
        """Issues whose origin lies in the subtree of `code`."""
        return self.filter(within_q("division__code", code))

    def for_list(self) -> IssueQuerySet:
        return self.select_related(
            "division", "holder", "category", "enterprise", "department", "claimed_by", "raised_by"
        )


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class EscalationReason(models.TextChoices):
    OVERDUE = "overdue", _("deadline passed")
    BEYOND_AUTHORITY = "beyond_authority", _("beyond this tier's authority")
    MULTI_DEPARTMENT = "multi_department", _("involves several departments")
    MULTI_LEVEL = "multi_level", _("involves several tiers")
    COORDINATION_FAILED = "coordination_failed", _("repeated coordination failed")


# The longest description an issue accepts, on every face (pages, API, Open311, diaries).
DESCRIPTION_MAX_LENGTH = 5000
# What the public reads of an issue (Open311): a sentence or two written for them.
PUBLIC_DESCRIPTION_MAX_LENGTH = 1000


class Issue(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ASSIGNED = "assigned", _("assigned")
        CLAIMED = "claimed", _("claimed")
        RESOLVED = "resolved", _("resolved")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    # The cadre's description is for the offices; the public feed shows only this, which is
    # the title until someone who may act on the issue writes it for the public.
    public_description = models.TextField(
        _("public description"), max_length=PUBLIC_DESCRIPTION_MAX_LENGTH, blank=True
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="issues"
    )
    division = models.ForeignKey(
        Division,
        verbose_name=_("origin"),
        on_delete=models.PROTECT,
        related_name="issues",
        help_text=_("The village, community or enterprise's village where it was found."),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    posting = models.ForeignKey(
        Posting,
        verbose_name=_("posting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="raised_issues",
    )
    raised_on = models.DateField(_("found on"))
    raised_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    tier = models.CharField(_("tier"), max_length=7, choices=Tier.choices, default=Tier.VILLAGE)
    # The origin's ancestor at the current tier; denormalised so that "who may act" and the
    # holder filters are an indexed equality, and kept in step by every tier change.
    holder = models.ForeignKey(
        Division, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="held_issues"
    )
    # The highest tier the issue has ever reached ("reached county" in the statistics).
    peak_tier = models.CharField(
        _("highest tier reached"), max_length=7, choices=Tier.choices, default=Tier.VILLAGE
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_issues",
    )
    arrived_at = models.DateTimeField(_("arrived at this tier"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    # Tiers this issue has been returned down from; each at most once.
    returned_from = models.JSONField(_("returned from tiers"), default=list, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_tier = models.CharField(
        _("resolved at tier"), max_length=7, choices=Tier.choices, blank=True
    )
    resolved_on_spot = models.BooleanField(_("resolved on the spot"), default=False)
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices, blank=True)
    # When the current resolution was rated: one rating per resolution (a reopened and
    # resolved-again issue may be rated again, its resolved_at being later).
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # When the reporter's name and phone were blanked (their retention ended).
    anonymised_at = models.DateTimeField(_("reporter data removed at"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("under supervision since"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="issue_resolved_has_time",
                condition=Q(status="resolved", resolved_at__isnull=False, resolved_tier__in=TIERS)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="issue_claimed_has_leader",
                condition=~Q(status="claimed") | Q(claimed_by__isnull=False),
            ),
            models.CheckConstraint(
                name="issue_assigned_has_department",
                condition=~Q(status="assigned") | Q(department__isnull=False),
            ),
        ]
        indexes = [
            # visible_to / ?within=: origin code LIKE 'prefix%' (pattern ops for PostgreSQL).
            models.Index(
                fields=["division"], name="issue_origin_like", opclasses=["varchar_pattern_ops"]
            ),
            # actionable_by, ?holder=, claim board, meetings: unresolved issues by holder.
            models.Index(fields=["holder", "status"], name="issue_holder_status"),
            # The sweep: unresolved issues of a tier in deadline order, read a batch at a time.
            models.Index(
                fields=["tier", "due_at", "id"],
                name="issue_sweep",
                condition=~Q(status="resolved"),
            ),
            # Statistics over a period: by found date.
            models.Index(fields=["raised_on"], name="issue_raised_on"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    @property
    def awaits_rating(self) -> bool:
        """Resolved, and this resolution not rated yet."""
        return self.is_resolved and (
            self.rated_at is None
            or (self.resolved_at is not None and self.rated_at < self.resolved_at)
        )

    def is_overdue(self, now: datetime | None = None) -> bool:
        return not self.is_resolved and self.due_at < (now or timezone.now())

    def deadline_state(self, now: datetime | None = None) -> str:
        """green, amber (most of the tier's time used) or red (overdue)."""
        now = now or timezone.now()
        if self.is_resolved:
            return "green"
        if self.due_at < now:
            return "red"
        span = (self.due_at - self.arrived_at).total_seconds()
        used = (now - self.arrived_at).total_seconds()
        if span > 0 and used / span >= settings.SANBUFU_AMBER_FRACTION:
            return "amber"
        return "green"


class IssueEvent(models.Model):
    """One append-only step on an issue's timeline."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised")
        RESOLVED_ON_SPOT = "resolved_on_spot", _("resolved on the spot")
        ESCALATED = "escalated", _("escalated")
        RETURNED = "returned", _("returned")
        ASSIGNED = "assigned", _("assigned")
        CLAIMED = "claimed", _("claimed")
        RESOLVED = "resolved", _("resolved")
        FEEDBACK = "feedback", _("feedback")
        REOPENED = "reopened", _("reopened")
        COMMENTED = "commented", _("commented")
        SUPERVISED = "supervised", _("under supervision")
        PUBLISHED = "published", _("public description edited")
        FOLLOWED_UP = "followed_up", _("followed up")

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    tier_from = models.CharField(_("from tier"), max_length=7, choices=Tier.choices, blank=True)
    tier_to = models.CharField(_("to tier"), max_length=7, choices=Tier.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issue_events",
        help_text=_("Empty when the system acted (the sweep)."),
    )
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        ordering = ["at", "id"]
        indexes = [
            # The timeline of one issue, oldest first.
            models.Index(fields=["issue", "at"], name="event_timeline"),
            # Webhooks and Open311 read the newest events in a period.
            models.Index(fields=["at"], name="event_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        """Whether the public timeline shows this step (never with its note: notes are the
        offices' own words; the public reads fixed phrases, see integrations.open311)."""
        return self.kind not in (self.Kind.COMMENTED, self.Kind.PUBLISHED, self.Kind.FOLLOWED_UP)


# Where a rating came from (IssueEvent.reason of a feedback event; a follow-up call's event
# carries its outcome instead).
class RatingSource(models.TextChoices):
    RESIDENT = "resident", _("the resident, on their page")
    PHONE = "phone", _("by phone")
    VISIT = "visit", _("in person")


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("reached")
    UNREACHABLE = "unreachable", _("unreachable")
    DECLINED = "declined", _("declined to rate")


class NotificationQuerySet(models.QuerySet):
    def for_inbox(self) -> NotificationQuerySet:
        return self.select_related("event", "event__issue", "event__actor")

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One timeline event in one user's inbox (issues.notifications decides whose)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        IssueEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The inbox task may run twice: each event reaches each user once.
            models.UniqueConstraint(fields=["user", "event"], name="notification_once"),
        ]
        indexes = [
            # The header's unread count and the inbox page: one user's rows, newest first.
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.event}"


class NotificationPreference(models.Model):
    """How a user wants to hear of what concerns them besides the inbox: by email (on unless
    turned off) and by text message to `phone` (off unless turned on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("by email"), default=True)
    sms = models.BooleanField(_("by text message"), default=False)
    phone = models.CharField(_("phone for text messages"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)
