"""The town's weekly analysis meeting (民(企)情分析例会) and its agenda items.

The tables keep the names they had when these models lived in `issues` (Meta.db_table), so
moving them here changed no row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dispatch.models import Department, Division
from dispatch.services import jurisdiction
from issues.models import Issue


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user) -> MeetingQuerySet:
        """Meetings of the towns in the user's jurisdiction: the door of every meeting face."""
        return self.filter(jurisdiction(user).q("town__code"))


class Meeting(models.Model):
    """A town's weekly analysis meeting (民(企)情分析例会) for one ISO week."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("meeting status", "open")
        CLOSED = "closed", pgettext_lazy("meeting status", "closed")

    town = models.ForeignKey(
        Division, verbose_name=_("town"), on_delete=models.PROTECT, related_name="meetings"
    )
    week = models.CharField(_("ISO week"), max_length=8, help_text="2026-W48")
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.OPEN
    )
    stats = models.JSONField(_("statistics"), default=dict, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    convened_at = models.DateTimeField(_("convened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who chaired (主持) and who attended (参会): users of the system, and in
    # `attendee_names` the others (a county leader sitting in, a village secretary), one a
    # line. Recorded while the meeting is open; the minutes print them.
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("meeting", "host"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        # Nothing looks meetings up by their host: no index to build on a filled table.
        db_index=False,
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        related_name="attended_meetings",
        blank=True,
    )
    # db_default: the column is added with a default the database fills, without a rewrite.
    attendee_names = models.TextField(_("other attendees"), blank=True, default="", db_default="")

    objects = MeetingQuerySet.as_manager()

    class Meta:
        db_table = "issues_meeting"
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-week", "town"]
        constraints = [
            # Convening twice, or from two workers at once, gives one meeting.
            models.UniqueConstraint(fields=["town", "week"], name="meeting_one_per_town_week"),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.week}"


class AgendaItem(models.Model):
    class Decision(models.TextChoices):
        ASSIGN = "assign", _("assign to a department")
        RESOLVE = "resolve", _("resolve")
        ESCALATE = "escalate", _("escalate to the county")
        RETURN = "return", _("return to the village")
        CARRY_OVER = "carry_over", _("carry over")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    new = models.BooleanField(_("new since the last meeting"), default=False)
    # Joined the agenda after the meeting was convened (the issue reached the town later).
    # db_default: the column is added with a default the database fills, without a rewrite.
    late = models.BooleanField(_("added after convening"), default=False, db_default=False)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        db_table = "issues_agendaitem"
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "-new", "issue_id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "issue"], name="agenda_item_unique"),
        ]

    def __str__(self) -> str:
        return str(self.issue)


class DecisionCorrection(models.Model):
    """A correction of an agenda item's recorded decision, made while the meeting was open:
    what the record said, what it says now, and why. The decision's transition stands (a
    different action is taken on the issue itself); the issue's timeline has a step for it."""

    item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        on_delete=models.CASCADE,
        related_name="corrections",
    )
    before = models.TextField(_("recorded before"), blank=True)
    after = models.TextField(_("recorded now"))
    reason = models.TextField(_("reason for the correction"))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("corrected at"), default=timezone.now)

    class Meta:
        verbose_name = _("decision correction")
        verbose_name_plural = _("decision corrections")
        ordering = ["item", "corrected_at", "id"]

    def __str__(self) -> str:
        return f"{self.item} {self.corrected_at:%Y-%m-%d %H:%M}"
