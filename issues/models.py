"""Issues, their append-only timeline, and the weekly analysis meetings."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from dispatch.models import (
    TIERS,
    Department,
    Division,
    Enterprise,
    Grid,
    Posting,
    Tier,
    code_prefix,
    subtree_q,
    within_q,
)
from dispatch.services import jurisdiction

from .lookups import like_pattern


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
    # The order of the choices in every form: the office sets it; "other" comes last.
    sort_order = models.PositiveSmallIntegerField(
        _("sort order"), default=100, help_text=_("Smaller numbers come first in the choices.")
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def deadline_days(self, tier: str) -> int:
        days = getattr(self, f"{tier}_days")
        return days if days is not None else settings.SANBUFU_DEADLINE_DAYS[tier]


# Similar open issues are looked for among those raised in the last this many days, and
# shown from this similarity on (pg_trgm's own default threshold is 0.3).
SIMILAR_DAYS = 30
SIMILAR_THRESHOLD = 0.3
# Without PostgreSQL, the newest this many candidates are compared in Python.
SIMILAR_FALLBACK_ROWS = 500


# Chinese writes no spaces, so pg_trgm would read a whole title as one word, and the
# trigrams of two tellings of one problem ("夜间工地施工噪音", "工地夜间施工噪音扰民") barely
# meet. A space after each Chinese character makes each its own word: the similarity of two
# titles is then that of their characters, and of their other words' trigrams as before.
HANZI = "[\u4e00-\u9fff]"


def spaced(text: str) -> str:
    return re.sub(f"({HANZI})", r"\1 ", text)


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of `text`: each word (a run of letters or digits) in lower case,
    padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in re.findall(r"\w+", spaced(text).lower()):
        padded = f"  {word.replace('_', ' ')} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def _pair_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity() of the spaced texts: shared trigrams over all of both."""
    ga, gb = _trigrams(a), _trigrams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


# A search word names at most this many places (e.g. "兰亭" names a town and its villages).
PLACES_PER_WORD = 20


class IssueQuerySet(models.QuerySet):
    def visible_to(self, user) -> IssueQuerySet:
        """The only door to issues: those whose origin lies in the user's jurisdiction, and
        those of the grids a grid member serves, and for a department member those assigned to
        their departments (lead or co-handling)."""
        j = jurisdiction(user)
        q = j.q("division__code")
        if j.is_superuser:
            return self.filter(q)
        if j.grid_at:  # (q may be the empty Q of a superuser, which an OR would drop)
            q |= j.grid_q("grid")
        if j.department_at:
            q |= self.department_q(j.department_at)
        return self.filter(q)

    @staticmethod
    def department_q(departments) -> Q:
        """Issues whose lead is one of `departments`, or which one of them co-handles at the
        issue's current tier (co-handling ends when the issue moves on)."""
        co = CoHandling.objects.filter(
            issue=models.OuterRef("pk"), tier=models.OuterRef("tier"), department_id__in=departments
        )
        return Q(department_id__in=departments) | Q(models.Exists(co))

    def actionable_by(self, user) -> IssueQuerySet:
        """Visible issues whose holder is a division the user serves (at the issue's tier)."""
        j = jurisdiction(user)
        if j.is_superuser:
            return self.all()
        return self.visible_to(user).filter(
            Q(tier=Tier.VILLAGE, holder_id__in=j.cadre_at)
            | Q(holder_id__in=j.office_at | j.leader_at)
            | (Q(tier=Tier.VILLAGE) & j.grid_q("grid"))
        )

    def mine(self, user) -> IssueQuerySet:
        """What "my issues" means: raised by the user, claimed by them, or held now at one of
        their posts (a cadre's village, an office's division, a grid member's grid at village
        tier, a department member's department as lead or co-handler)."""
        j = jurisdiction(user)
        q = Q(raised_by=user) | Q(claimed_by=user) | Q(holder_id__in=j.cadre_at | j.office_at)
        if j.grid_at:
            q |= Q(tier=Tier.VILLAGE) & j.grid_q("grid")
        if j.department_at:
            q |= self.department_q(j.department_at)
        return self.filter(q)

    def search(self, text: str) -> IssueQuerySet:
        """Issues matching every word of `text`: by number, by the reporter's phone (whole, so
        that digits guessed one by one reveal nothing of a number the user may not read), by
        part of the title, description or reporter's name (any case), or by the name of a
        place they come from (a village, or a town or county: its whole subtree).

        Every arm is a condition on the issue table itself (the places are looked up first),
        so that on PostgreSQL one bitmap over the trigram index (issues 0007), the primary key
        and the origin's index answers it, rather than a scan."""
        issues = self
        for word in text.split()[:5]:
            pattern = like_pattern(word)
            match = (
                Q(title__ilike=pattern)
                | Q(description__ilike=pattern)
                | Q(reporter_name__ilike=pattern)
            )
            places = Division.objects.filter(name__ilike=pattern).values_list("code", "tier")
            prefixes = [code_prefix(code, tier) for code, tier in places[:PLACES_PER_WORD]]
            if prefixes:
                match |= subtree_q("division__code", prefixes)
            digits = word.lstrip("#")
            if digits.isdigit() and len(digits) < 19:
                match |= Q(pk=int(digits)) | Q(reporter_phone__ilike=digits)
            issues = issues.filter(match)
        return issues

    def held_by(self, user) -> IssueQuerySet:
        """The user's own work: issues held by a division they serve, and those assigned to
        their departments (lead or co-handling)."""
        j = jurisdiction(user)
        q = Q(pk__in=self.actionable_by(user).values("pk"))
        if j.department_at:
            q |= self.department_q(j.department_at)
        return self.filter(q)

    def unresolved(self) -> IssueQuerySet:
        """Issues still to be answered: not resolved, and not merged into another."""
        return self.exclude(status__in=[Issue.Status.RESOLVED, Issue.Status.MERGED])

    def similar_to(
        self, *, division: str, category, title: str, now: datetime | None = None, limit: int = 5
    ) -> list[Issue]:
        """Open issues that may be the same problem (一事一件): the same category, raised in
        the same town in the last SIMILAR_DAYS days, with a title like `title`; best first,
        each with `similarity` (0..1). On PostgreSQL pg_trgm's similarity() of the titles
        with each Chinese character a word (see `spaced`), computed only over the few rows
        the category, town and period leave; elsewhere the same measure in Python."""
        now = now or timezone.now()
        title = (title or "").strip()[:200]
        if not title or not division:
            return []
        town = code_prefix(division[:9] + "000", Tier.TOWN)
        candidates = self.unresolved().filter(
            category=category,
            division__code__startswith=town,
            raised_at__gte=now - timedelta(days=SIMILAR_DAYS),
        )
        if connection.vendor == "postgresql":
            each_hanzi_a_word = models.Func(
                models.F("title"),
                models.Value(f"({HANZI})"),
                models.Value("\\1 "),
                models.Value("g"),
                function="regexp_replace",
                output_field=models.TextField(),
            )
            similarity = models.Func(
                each_hanzi_a_word,
                models.Value(spaced(title)),
                function="similarity",
                output_field=models.FloatField(),
            )
            found = list(
                candidates.annotate(similarity=similarity)
                .filter(similarity__gte=SIMILAR_THRESHOLD)
                .order_by("-similarity", "-pk")
                .only("pk", "title", "division_id", "raised_on", "status")[:limit]
            )
            for issue in found:
                issue.similarity = round(float(issue.similarity), 3)  # type: ignore[attr-defined]
            return found
        rows = list(
            candidates.order_by("-raised_at").only(
                "pk", "title", "division_id", "raised_on", "status"
            )[:SIMILAR_FALLBACK_ROWS]
        )
        for issue in rows:
            issue.similarity = round(_pair_similarity(title, issue.title), 3)  # type: ignore[attr-defined]
        rows = [i for i in rows if i.similarity >= SIMILAR_THRESHOLD]  # type: ignore[attr-defined]
        rows.sort(key=lambda i: (-i.similarity, -i.pk))  # type: ignore[attr-defined]
        return rows[:limit]

    def overdue(self, as_of: datetime | None = None) -> IssueQuerySet:
        return self.unresolved().filter(due_at__lt=as_of or timezone.now())

    def claimable(self) -> IssueQuerySet:
        return self.filter(status=Issue.Status.OPEN, tier__in=[Tier.COUNTY, Tier.CITY])

    def within(self, code: str) -> IssueQuerySet:
        """Issues whose origin lies in the subtree of `code`."""
        return self.filter(within_q("division__code", code))

    def with_work_order(self) -> IssueQuerySet:
        """With what the work order's fields need (co-handlers, the pending extension, the
        supervision order): two joins and one prefetch, whatever the number of issues."""
        return self.select_related("pending_extension", "supervision").prefetch_related(
            models.Prefetch(
                "co_handlings", queryset=CoHandling.objects.select_related("department")
            )
        )

    def with_history(self, steps: int = 3) -> IssueQuerySet:
        """With why each issue came up and what was last decided on it: `escalation_reason`
        and `escalation_note` of its latest escalation, and `recent_events`, its latest
        `steps` timeline steps newest first (one prefetch with a window function, whatever the
        number of issues): the claim board's and the meeting agenda's context."""
        latest = IssueEvent.objects.filter(
            issue=models.OuterRef("pk"), kind=IssueEvent.Kind.ESCALATED
        ).order_by("-at", "-id")
        return self.annotate(
            escalation_reason=models.Subquery(latest.values("reason")[:1]),
            escalation_note=models.Subquery(latest.values("note")[:1]),
        ).prefetch_related(
            models.Prefetch(
                "events",
                queryset=IssueEvent.objects.select_related("actor__cadre", "department").order_by(
                    "-at", "-id"
                )[:steps],
                to_attr="recent_events",
            )
        )

    def supervised(self) -> IssueQuerySet:
        """Unresolved issues with a supervision order at their current tier."""
        return self.unresolved().filter(supervision__isnull=False)

    def unacknowledged(self) -> IssueQuerySet:
        """Assigned issues the lead department has not signed for."""
        return self.filter(status=Issue.Status.ASSIGNED, acknowledged_at__isnull=True)

    def for_list(self) -> IssueQuerySet:
        return self.select_related(
            "division",
            "grid",
            "holder",
            "category",
            "enterprise",
            "department",
            "claimed_by",
            "raised_by",
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
        OPEN = "open", pgettext_lazy("issue status", "open")
        ASSIGNED = "assigned", pgettext_lazy("issue status", "assigned")
        CLAIMED = "claimed", pgettext_lazy("issue status", "claimed")
        RESOLVED = "resolved", pgettext_lazy("issue status", "resolved")
        # Closed as a duplicate of another issue (merged_into), which answers for it.
        MERGED = "merged", pgettext_lazy("issue status", "merged")

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
        Division,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="held_issues",
        # issue_holder_status (holder, status) serves every lookup by holder; the FK's own
        # two indexes would only be rewritten by every escalation.
        db_index=False,
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

    # The work order (工单) of an assignment: the lead department is `department`; these
    # co-handle (协办) at the current tier.
    co_departments = models.ManyToManyField(
        Department,
        verbose_name=_("co-handling departments"),
        through="CoHandling",
        related_name="co_handled_issues",
        blank=True,
    )
    acknowledged_at = models.DateTimeField(
        _("acknowledged by the lead department at"), null=True, blank=True
    )
    ack_due_at = models.DateTimeField(_("to be acknowledged by"), null=True, blank=True)
    # Departments that handed the issue back (退单) at this tier; assigning one of them again
    # is an arbitration, after which it may not hand it back.
    handed_back_from = models.JSONField(_("handed back by departments"), default=list, blank=True)
    arbitrated = models.BooleanField(_("assignment arbitrated"), default=False)
    extension_count = models.PositiveSmallIntegerField(_("extensions at this tier"), default=0)
    pending_extension = models.ForeignKey(
        "Extension",
        verbose_name=_("pending extension request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The latest supervision order (督办单) at the current tier.
    supervision = models.ForeignKey(
        "SupervisionOrder",
        verbose_name=_("supervision order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The survivor this issue was merged into (status merged); one problem, several reports.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_issues",
        # Indexed only where set (issue_merged_into below): the column is mostly empty.
        db_index=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    # Where it was found (WGS84), from the phone's location with the user's consent or from
    # a photo's EXIF; the division stays what places the issue.
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

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
            models.CheckConstraint(
                name="issue_point_in_range",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
            ),
        ]
        # Each index names the query it serves. visible_to and ?within= (origin code LIKE
        # 'prefix%') use the division FK's own pair on PostgreSQL: its btree for equality
        # (?village=, the admin's village filter) and its `_like` (varchar_pattern_ops) index
        # for the prefix, so no index of our own repeats them.
        indexes = [
            # Every list's default order (Meta.ordering; API, admin, pages): a page of the
            # newest issues is read off this index instead of sorting every visible row.
            models.Index(fields=["-raised_at", "-id"], name="issue_list"),
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
            # A merge moves the issues merged into the one it closes on to the survivor, and
            # deleting an issue checks none points to it: the few merged rows only.
            models.Index(
                fields=["merged_into"],
                name="issue_merged_into",
                condition=Q(merged_into__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    @property
    def is_merged(self) -> bool:
        return self.status == self.Status.MERGED

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

    def co_department_ids(self) -> list[int]:
        """The departments co-handling at the current tier (from the prefetched rows)."""
        return sorted(c.department_id for c in self.co_handlings.all() if c.tier == self.tier)

    def ack_state(self, now: datetime | None = None) -> str:
        """'' when nothing waits for 签收; else green, or red past the window."""
        if self.status != self.Status.ASSIGNED or self.acknowledged_at or not self.ack_due_at:
            return ""
        return "red" if self.ack_due_at < (now or timezone.now()) else "green"

    def ack_window_open(self, now: datetime | None = None) -> bool:
        """Whether the 签收 window still runs, as of `now`, else the moment a service judges
        it at (`as_of`, set when it locks the row), else the present."""
        now = now or getattr(self, "as_of", None) or timezone.now()
        return self.ack_due_at is not None and now <= self.ack_due_at


class CoHandling(models.Model):
    """A department co-handling (协办) an assigned issue at one tier, and its 签收."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="co_handlings"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(_("tier"), max_length=7, choices=Tier.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-handling department")
        verbose_name_plural = _("co-handling departments")
        ordering = ["issue", "department"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "department"], name="cohandling_unique"),
        ]
        indexes = [
            # A department member's queue: the issues their department co-handles.
            models.Index(fields=["department", "tier"], name="cohandling_department"),
        ]

    def __str__(self) -> str:
        return f"{self.department} @ {self.issue_id}"


class Extension(models.Model):
    """A request to extend an issue's deadline at its tier (延期), and its decision."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="extensions"
    )
    tier = models.CharField(_("tier"), max_length=7, choices=Tier.choices)
    # The lead department asking, or empty when the holding office or claiming leader asks.
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    requested_at = models.DateTimeField(_("requested at"))
    approved = models.BooleanField(_("approved"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    due_before = models.DateTimeField(_("deadline before"))
    due_after = models.DateTimeField(_("deadline after"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="extension_decided_consistent",
                condition=Q(decided_at__isnull=True, approved__isnull=True)
                | Q(decided_at__isnull=False, approved__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"+{self.days} @ {self.issue_id}"


class SupervisionOrder(models.Model):
    """A supervision order (督办单) to an issue's holder, to be answered by `reply_by`."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="supervision_orders"
    )
    tier = models.CharField(_("tier"), max_length=7, choices=Tier.choices)
    holder = models.ForeignKey(
        Division, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    # The lead department, when the issue was assigned: the order is to it.
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the sweep issued it."),
    )
    issued_at = models.DateTimeField(_("issued at"))
    note = models.TextField(_("note"), blank=True)
    reply_by = models.DateTimeField(_("reply by"))
    # The how-many-th order for this issue: a second one is red (repeated supervision).
    sequence = models.PositiveSmallIntegerField(_("order number"), default=1)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reply = models.TextField(_("reply"), blank=True)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["-issued_at", "-id"]
        indexes = [
            # The units' assessment: orders by holder and department over a period.
            models.Index(fields=["issued_at"], name="supervision_issued_at"),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} #{self.sequence}"

    @property
    def is_open(self) -> bool:
        return self.replied_at is None

    def is_late(self, now: datetime | None = None) -> bool:
        return (self.replied_at or now or timezone.now()) > self.reply_by

    def grade(self, now: datetime | None = None) -> str:
        """yellow while open and on time; red when the reply is late or it is a repeat."""
        return "red" if self.sequence > 1 or self.is_late(now) else "yellow"


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
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        HANDED_BACK = "handed_back", _("handed back")
        PROGRESS = "progress", _("progress")
        EXTENSION_REQUESTED = "extension_requested", _("extension requested")
        EXTENSION_DECIDED = "extension_decided", _("extension decided")
        SUPERVISION_REPLIED = "supervision_replied", _("supervision answered")
        FOLLOWED_UP = "followed_up", _("followed up")
        # The town's meeting corrected the record of its decision on the issue.
        DECISION_CORRECTED = (
            "decision_corrected",
            pgettext_lazy("timeline step", "meeting decision corrected"),
        )
        # One problem, one issue (一事一件): merged into another (on the merged issue) or
        # another merged into this one (on the survivor); `related_issue` names the other.
        MERGED = "merged", _("merged")
        # Someone else reported the same problem and was added as a reporter of this issue.
        REPORTED_AGAIN = "reported_again", _("reported again")
        ATTACHED = "attached", _("evidence added")
        DETACHED = "detached", _("evidence removed")
        PHOTO_PUBLISHED = "photo_published", _("photo made public")
        LOCATED = "located", _("place recorded")

    issue = models.ForeignKey(
        Issue,
        verbose_name=_("issue"),
        on_delete=models.CASCADE,
        related_name="events",
        # event_timeline (issue, at) serves every lookup by issue, and the cascade.
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
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
    # An assignment's co-handling departments (the lead is `department`).
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("co-handling departments"), related_name="+", blank=True
    )
    # The other issue of a merge; kept plain (no constraint, no index) as the timeline is
    # append-only and read one issue at a time.
    related_issue = models.ForeignKey(
        Issue,
        verbose_name=_("related issue"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
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
        return f"{self.get_kind_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        """Whether the public timeline shows this step (never with its note: notes are the
        offices' own words; the public reads fixed phrases, see integrations.open311)."""
        return self.kind not in PRIVATE_KINDS


# Steps the public timeline leaves out: the offices' own words and the evidence's handling
# (public photos show on their own).
PRIVATE_KINDS = frozenset(
    {
        IssueEvent.Kind.COMMENTED,
        IssueEvent.Kind.PUBLISHED,
        IssueEvent.Kind.FOLLOWED_UP,
        IssueEvent.Kind.DECISION_CORRECTED,
        IssueEvent.Kind.ATTACHED,
        IssueEvent.Kind.DETACHED,
        IssueEvent.Kind.PHOTO_PUBLISHED,
        IssueEvent.Kind.LOCATED,
    }
)


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


class IssueReport(models.Model):
    """A further reporter of an issue's problem (一事一件): a cadre who heard of it elsewhere
    and linked their report to it instead of raising another, or the reporter of an issue that
    was merged into it. Each is answered when the issue is resolved."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="reports"
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    division = models.ForeignKey(
        Division, verbose_name=_("origin"), on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The issue this report came from when it was merged; empty when linked directly.
    merged_from = models.ForeignKey(
        Issue,
        verbose_name=_("merged from"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    raised_on = models.DateField(_("found on"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("further report")
        verbose_name_plural = _("further reports")
        ordering = ["issue", "created_at", "id"]
        constraints = [
            # A merged issue's reporters come over once.
            models.UniqueConstraint(
                fields=["issue", "merged_from"],
                condition=Q(merged_from__isnull=False),
                name="issuereport_merged_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id}: {self.reporter_name or self.division_id}"


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
