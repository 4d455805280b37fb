"""Diary entries of stationed cadres' visits (民情日记 / 企情日记)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Enterprise, Posting
from dispatch.services import jurisdiction
from issues.models import Issue


class DiaryEntryQuerySet(models.QuerySet):
    def visible_to(self, user) -> DiaryEntryQuerySet:
        """Entries whose posting's division lies in the user's jurisdiction."""
        return self.filter(jurisdiction(user).q("posting__division__code"))


class DiaryEntry(models.Model):
    class Kind(models.TextChoices):
        PEOPLE = "people", _("people's diary")
        ENTERPRISE = "enterprise", _("enterprise diary")

    class Mediation(models.TextChoices):
        """The outcome of a dispute mediated on the visit (大排解)."""

        SETTLED = "settled", _("settled")
        PARTLY = "partly", _("partly settled")
        UNSETTLED = "unsettled", _("not settled")
        REFERRED = "referred", _("referred on")

    posting = models.ForeignKey(
        Posting, verbose_name=_("posting"), on_delete=models.PROTECT, related_name="diary_entries"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="diary_entries",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    visited_on = models.DateField(_("visited on"))
    households_visited = models.PositiveIntegerField(_("households or firms visited"), default=0)
    summary = models.TextField(_("summary"))
    issues = models.ManyToManyField(
        Issue, verbose_name=_("issues raised"), blank=True, related_name="diary_entries"
    )
    # Whom the visit reached, by name: households of the register and enterprises. The count
    # above is at least as many (households_visited may count more than were named).
    households = models.ManyToManyField(
        "fieldwork.Household",
        verbose_name=_("households visited"),
        blank=True,
        related_name="diary_entries",
    )
    enterprises = models.ManyToManyField(
        Enterprise, verbose_name=_("enterprises visited"), blank=True, related_name="diary_entries"
    )
    mediation = models.CharField(
        _("mediation outcome"),
        max_length=10,
        choices=Mediation.choices,
        blank=True,
        default="",
        db_default="",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = DiaryEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("diary entry")
        verbose_name_plural = _("diary entries")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="diary_households_sane", condition=Q(households_visited__lte=10000)
            ),
        ]
        indexes = [
            # A cadre's own recent entries, and ?author= in the API.
            models.Index(fields=["author", "-visited_on"], name="diary_author_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.posting}"


class ServedDuty(models.Model):
    """A duty of the posting's checklist (职责清单) that a diary entry served."""

    entry = models.ForeignKey(
        DiaryEntry, verbose_name=_("diary entry"), on_delete=models.CASCADE, related_name="duties"
    )
    duty = models.CharField(_("duty"), max_length=200)

    class Meta:
        verbose_name = _("duty served")
        verbose_name_plural = _("duties served")
        ordering = ["entry", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "duty"], name="served_duty_once"),
        ]

    def __str__(self) -> str:
        return self.duty
