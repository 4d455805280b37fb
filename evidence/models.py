"""An uploaded photo or document and what the server read from it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Issue


def day_folders(moment) -> tuple[str, str]:
    """The store's folders of a day, files and thumbnails: files are named by the day they
    were written, so the cleanup lists only the days it needs (remove_stray_files)."""
    return f"evidence/{moment:%Y/%m/%d}", f"evidence/thumbs/{moment:%Y/%m/%d}"


def stored_name(instance: Attachment, filename: str) -> str:
    """A random name: the uploader's file name is neither trusted nor kept in the store."""
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
        instance.content_type, "pdf" if instance.content_type == "application/pdf" else "bin"
    )
    return f"{day_folders(timezone.now())[0]}/{uuid.uuid4().hex}.{extension}"


def thumbnail_name(instance: Attachment, filename: str) -> str:
    return f"{day_folders(timezone.now())[1]}/{uuid.uuid4().hex}.jpg"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> AttachmentQuerySet:
        """Attachments of the issues the user sees (the one door, Issue.visible_to)."""
        return self.filter(issue__in=Issue.objects.visible_to(user), deleted_at__isnull=True)

    def live(self) -> AttachmentQuerySet:
        return self.filter(issue__isnull=False, deleted_at__isnull=True)

    def public(self) -> AttachmentQuerySet:
        """What the resident's page and Open311 show: public images still attached."""
        return self.live().filter(public=True, kind=Attachment.Kind.IMAGE)


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("photo")
        DOCUMENT = "document", _("document")

    class Role(models.TextChoices):
        # What the file shows: the problem as found, or the work done ("after" on resolution).
        BEFORE = "before", _("as found")
        PROGRESS = "progress", _("progress")
        AFTER = "after", _("after resolution")

    # The public address of a public photo (/evidence/p/<token>/): unguessable, unlike the id.
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    issue = models.ForeignKey(
        Issue,
        verbose_name=_("issue"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        help_text=_("Empty while uploaded and not yet attached."),
    )
    diary_entry = models.ForeignKey(
        "diaries.DiaryEntry",
        verbose_name=_("diary entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    # The step it came with (a resolution, a progress note), when it came with one.
    event = models.ForeignKey(
        "issues.IssueEvent",
        verbose_name=_("issue event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    role = models.CharField(_("shows"), max_length=8, choices=Role.choices, default=Role.BEFORE)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=stored_name, max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=thumbnail_name, max_length=200, blank=True
    )
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    # Read from the photo's EXIF before it was stripped from the stored file.
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    public = models.BooleanField(_("public"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    attached_at = models.DateTimeField(_("attached at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="attachment_point_in_range",
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
            ),
            models.CheckConstraint(
                name="attachment_public_is_image", condition=Q(public=False) | Q(kind="image")
            ),
        ]
        indexes = [
            # The abandoned-upload sweep: unattached uploads older than the limit.
            models.Index(
                fields=["uploaded_at"], name="attachment_unattached", condition=Q(issue=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def live_attachments() -> models.Prefetch:
    """Prefetch an issue list's files in one query (as `issue.live_attachments`)."""
    return models.Prefetch(
        "attachments",
        queryset=Attachment.objects.filter(deleted_at__isnull=True).order_by("uploaded_at", "id"),
        to_attr="live_attachments",
    )


def public_photos() -> models.Prefetch:
    """Prefetch what the public sees of an issue's files (as `issue.public_photos`)."""
    return models.Prefetch(
        "attachments",
        queryset=Attachment.objects.public().order_by("uploaded_at", "id"),
        to_attr="public_photos",
    )
