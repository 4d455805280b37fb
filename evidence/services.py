"""Writes of evidence: upload, attach to an issue (with the step it came with), make public,
remove, and the cleanup of abandoned uploads. Every change to an attached file is an event
on the issue's timeline (issues.services.record_evidence_event)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotFound, NotPermitted
from durable.outbox import enqueue_on_commit
from issues import services as issue_services
from issues.models import Issue, IssueEvent

from .checks import Checked, check_upload, make_thumbnail
from .models import Attachment, day_folders

# The longest reason for removing a file (it goes on the timeline); longer is refused.
REASON_LIMIT = 200


def upload_attachment(
    *, actor, upload, documents: bool = True, now: datetime | None = None
) -> Attachment:
    """Check and store one file, not yet attached to anything: anyone logged in, or the system
    (actor None). Outside a transaction the row commits at once, and an upload never attached
    is removed by the hourly cleanup; inside one (a form's step and its photos) it stands or
    falls with the rest, and a rolled-back file, left in the store without a row, is removed
    by the same cleanup (remove_stray_files). `upload`
    is a file, or the Checked result of check_upload. Raises ValidationError {"file": [...]}
    for a file refused."""
    checked = upload if isinstance(upload, Checked) else check_upload(upload, documents=documents)
    attachment = Attachment(
        kind=checked.kind,
        content_type=checked.content_type,
        size=len(checked.content),
        width=checked.width,
        height=checked.height,
        taken_at=checked.taken_at,
        latitude=checked.latitude,
        longitude=checked.longitude,
        uploaded_by=actor,
        uploaded_at=now or timezone.now(),
    )
    # The name is chosen by upload_to from the content type; the file is written first, the
    # row after: a failure between leaves a file without a row, never a row without a file.
    attachment.file.save("upload", ContentFile(checked.content), save=False)
    attachment.save()
    return attachment


def attach_attachments(
    *,
    actor,
    issue: Issue | int,
    attachments: Iterable[Attachment | int],
    role: str = Attachment.Role.BEFORE,
    event: IssueEvent | None = None,
    diary_entry=None,
    now: datetime | None = None,
) -> list[Attachment]:
    """Attach the actor's own unattached uploads to an issue: anyone who sees the issue (as for
    a comment). Writes one `attached` event; queues the thumbnails; takes the issue's place
    from the first photo's EXIF when the issue has none. Raises ValidationError when the
    issue's limit (SANBUFU_ATTACHMENTS_PER_ISSUE) would be passed, NotFound for an upload that
    is not the actor's or was attached already."""
    ids = [a.pk if isinstance(a, Attachment) else int(a) for a in attachments]
    if not ids:
        return []
    now = now or timezone.now()
    issue_id = issue.pk if isinstance(issue, Issue) else issue
    with transaction.atomic():
        # Locks the issue and checks the actor may see it (NotFound otherwise).
        recorded = issue_services.record_evidence_event(
            actor=actor,
            issue=issue_id,
            kind=IssueEvent.Kind.ATTACHED,
            action="comment",
            note=_("%(count)d file(s)") % {"count": len(ids)},
            now=now,
        )
        limit = settings.SANBUFU_ATTACHMENTS_PER_ISSUE
        held = Attachment.objects.filter(issue_id=issue_id, deleted_at__isnull=True).count()
        if held + len(ids) > limit:
            raise ValidationError(
                {
                    "file": [
                        _("An issue holds at most %(limit)d files; it has %(held)d.")
                        % {"limit": limit, "held": held}
                    ]
                }
            )
        # Claimed with a conditional update: an upload is attached once, and only by its
        # uploader (ids sent by a client are not trusted).
        claimed = Attachment.objects.filter(
            pk__in=ids, issue__isnull=True, deleted_at__isnull=True, uploaded_by=actor
        ).update(
            issue_id=issue_id,
            role=role,
            event=event or recorded,
            diary_entry=diary_entry,
            attached_at=now,
        )
        if claimed != len(set(ids)):
            raise NotFound(_("No such upload."))
        attached = list(Attachment.objects.filter(pk__in=ids).order_by("id"))
        located = next((a for a in attached if a.has_point), None)
        if located is not None:
            issue_services.set_issue_point(
                actor=actor,
                issue=issue_id,
                latitude=located.latitude,
                longitude=located.longitude,
                source="photo",
                overwrite=False,
                now=now,
            )
        from .tasks import make_thumbnail_task

        for attachment in attached:
            if attachment.is_image:
                enqueue_on_commit(make_thumbnail_task, attachment.pk)
    return attached


def add_evidence(
    *,
    actor,
    issue: Issue | int,
    files: Iterable,
    role: str = Attachment.Role.BEFORE,
    event: IssueEvent | None = None,
    diary_entry=None,
    now: datetime | None = None,
) -> list[Attachment]:
    """Upload and attach in one step (the forms and the API): every file is checked before
    any is stored, so one refused file stores nothing. Raises as upload_attachment and
    attach_attachments."""
    checked = [f if isinstance(f, Checked) else check_upload(f) for f in files]
    if not checked:
        return []
    uploads = [upload_attachment(actor=actor, upload=c, now=now) for c in checked]
    return attach_attachments(
        actor=actor,
        issue=issue,
        attachments=uploads,
        role=role,
        event=event,
        diary_entry=diary_entry,
        now=now,
    )


def latest_event(issue: Issue | int, kind: str, actor) -> IssueEvent | None:
    """The step a form's files came with (the resolution or progress note it just wrote)."""
    issue_id = issue.pk if isinstance(issue, Issue) else issue
    return (
        IssueEvent.objects.filter(issue_id=issue_id, kind__in=kind.split(","), actor=actor)
        .order_by("-at", "-id")
        .first()
    )


def _load(attachment: Attachment | int) -> Attachment:
    pk = attachment.pk if isinstance(attachment, Attachment) else attachment
    found = (
        Attachment.objects.select_for_update()
        .filter(pk=pk, issue__isnull=False, deleted_at__isnull=True)
        .first()
    )
    if found is None:
        raise NotFound(_("No such file."))
    return found


def set_attachment_public(
    *, actor, attachment: Attachment | int, public: bool, now: datetime | None = None
) -> Attachment:
    """Show a photo to the public (the resident's page, Open311 media_url) or stop showing it:
    whoever may act on the issue (rules "publish"). Writes a `photo_published` event. Raises
    NotFound outside the jurisdiction, NotPermitted for others, ValidationError for a
    document."""
    with transaction.atomic():
        found = _load(attachment)
        if not found.is_image:
            raise ValidationError({"public": [_("Only photos can be shown to the public.")]})
        if found.public == public:
            return found
        issue_services.record_evidence_event(
            actor=actor,
            issue=found.issue_id or 0,  # _load found it attached
            kind=IssueEvent.Kind.PHOTO_PUBLISHED,
            action="publish",
            note=(_("photo %(id)d shown") if public else _("photo %(id)d hidden"))
            % {"id": found.pk},
            now=now,
        )
        found.public = public
        found.save(update_fields=["public"])
    return found


def remove_attachment(
    *, actor, attachment: Attachment | int, reason: str = "", now: datetime | None = None
) -> Attachment:
    """Remove a file from an issue: its uploader, or whoever may act on the issue. The row
    stays (marked removed) with a `detached` event giving the reason; the stored file and its
    thumbnail are deleted after commit. Raises NotFound / NotPermitted."""
    now = now or timezone.now()
    with transaction.atomic():
        found = _load(attachment)
        own = actor is not None and found.uploaded_by_id == actor.pk
        try:
            issue_services.record_evidence_event(
                actor=actor,
                issue=found.issue_id or 0,
                kind=IssueEvent.Kind.DETACHED,
                action="comment" if own else "publish",
                note=" ".join(
                    filter(None, [_("file %(id)d removed.") % {"id": found.pk}, reason.strip()])
                ),
                now=now,
            )
        except NotPermitted:
            raise NotPermitted(
                _("Only its uploader or whoever acts on the issue removes a file.")
            ) from None
        found.deleted_at, found.deleted_by, found.public = now, actor, False
        found.save(update_fields=["deleted_at", "deleted_by", "public"])
        names = [n for n in (found.file.name, found.thumbnail.name) if n]
        transaction.on_commit(lambda: _delete_files(found, names))
    return found


def _delete_files(attachment: Attachment, names: list[str]) -> None:
    storage = attachment.file.storage
    for name in names:
        storage.delete(name)


def make_attachment_thumbnail(attachment_id: int) -> bool:
    """Make a photo's thumbnail once. Safe to run twice or at once: the thumbnail is recorded
    with a conditional update, and a loser deletes the file it wrote. Returns whether this
    call made it."""
    attachment = Attachment.objects.filter(
        pk=attachment_id, kind=Attachment.Kind.IMAGE, thumbnail="", deleted_at__isnull=True
    ).first()
    if attachment is None:
        return False
    with attachment.file.open("rb") as f:
        content = make_thumbnail(f.read(), settings.SANBUFU_THUMBNAIL_SIZE)
    field = attachment.thumbnail
    field.save("thumb.jpg", ContentFile(content), save=False)
    won = Attachment.objects.filter(pk=attachment_id, thumbnail="", deleted_at__isnull=True).update(
        thumbnail=field.name
    )
    if not won and field.name:
        field.storage.delete(field.name)
    return bool(won)


def remove_abandoned_uploads(now: datetime | None = None) -> int:
    """Delete uploads never attached within SANBUFU_ABANDONED_UPLOAD_HOURS, with their files.
    Safe to run twice: each row is deleted by the run that deletes it."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.SANBUFU_ABANDONED_UPLOAD_HOURS)
    removed = 0
    for attachment in Attachment.objects.filter(issue__isnull=True, uploaded_at__lt=cutoff)[:1000]:
        deleted, _rows = Attachment.objects.filter(pk=attachment.pk, issue__isnull=True).delete()
        if deleted:
            _delete_files(
                attachment, [n for n in (attachment.file.name, attachment.thumbnail.name) if n]
            )
            removed += 1
    return removed + remove_stray_files(now)


def _evidence_folders(cutoff: datetime) -> list[str]:
    """The store's day folders of the cutoff's day and the two before it: the hourly run has
    already swept the days before those."""
    return [f for n in (2, 1, 0) for f in day_folders(cutoff - timedelta(days=n))]


def remove_stray_files(now: datetime | None = None) -> int:
    """Delete stored files that no row names and that are older than
    SANBUFU_ABANDONED_UPLOAD_HOURS: a form's files written before its transaction rolled
    back, or a thumbnail whose row was deleted meanwhile. Reads only the day folders about
    the cutoff (one listing each) and the rows naming their files (a query a thousand names);
    returns how many files were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.SANBUFU_ABANDONED_UPLOAD_HOURS)
    storage = Attachment._meta.get_field("file").storage
    removed = 0
    for folder in _evidence_folders(cutoff):
        try:
            _dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        names = sorted(f"{folder}/{f}" for f in files)
        for start in range(0, len(names), 1000):
            chunk = names[start : start + 1000]
            named = Attachment.objects.filter(Q(file__in=chunk) | Q(thumbnail__in=chunk))
            known = {n for pair in named.values_list("file", "thumbnail") for n in pair}
            for name in chunk:
                if name not in known and storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    removed += 1
    return removed
