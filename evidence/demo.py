"""Demo photos, drawn with Pillow: a dried-up ditch before, the same ditch running after, on a
few of the demo's issues, the pair on a resolved one made public. Called by seed_demo; runs
once (nothing is written when any attachment exists)."""

from __future__ import annotations

import contextlib
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from common.errors import DomainError
from issues.models import Issue, IssueEvent

from . import services
from .models import Attachment

# Near 兰亭村, Keqiao (EXIF degrees, minutes, seconds).
GPS = {1: "N", 2: (29, 57, 48.0), 3: "E", 4: (120, 31, 12.0)}


def scene(*, water: bool, label: str) -> bytes:
    """A 960x720 JPEG of a field ditch, dry or running, with a camera's EXIF."""
    image = Image.new("RGB", (960, 720), (173, 206, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 960, 720), fill=(110, 150, 70))  # fields
    draw.polygon([(380, 300), (580, 300), (820, 720), (140, 720)], fill=(120, 90, 60))  # ditch
    if water:
        draw.polygon([(420, 320), (540, 320), (740, 720), (220, 720)], fill=(70, 130, 190))
    else:
        for y in range(340, 720, 60):
            draw.line([(300 + y // 4, y), (660 - y // 4, y + 20)], fill=(90, 65, 40), width=4)
    draw.ellipse((780, 60, 880, 160), fill=(255, 220, 90))
    draw.text((24, 24), label, fill=(20, 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "sanbufu demo"
    exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def _photo(name: str, *, water: bool) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, scene(water=water, label=name), content_type="image/jpeg")


def seed_evidence(stdout=None) -> int:
    if Attachment.objects.exists():
        return 0
    added: list[Attachment] = []
    open_issues = list(
        Issue.objects.unresolved().filter(raised_by__isnull=False).order_by("raised_at")[:2]
    )
    for issue in open_issues:
        added += services.add_evidence(
            actor=issue.raised_by, issue=issue, files=[_photo("before.jpg", water=False)]
        )
    resolved = (
        IssueEvent.objects.filter(kind=IssueEvent.Kind.RESOLVED, actor__isnull=False)
        .select_related("issue__raised_by", "actor")
        .order_by("at")
        .first()
    )
    if resolved is not None and resolved.issue.raised_by is not None:
        issue = resolved.issue
        before = services.add_evidence(
            actor=issue.raised_by, issue=issue, files=[_photo("before.jpg", water=False)]
        )
        after = services.add_evidence(
            actor=resolved.actor,
            issue=issue,
            files=[_photo("after.jpg", water=True)],
            role=Attachment.Role.AFTER,
            event=resolved,
        )
        for attachment in before + after:
            # The resolver may no longer act on it: then the pair stays private.
            with contextlib.suppress(DomainError):
                services.set_attachment_public(
                    actor=resolved.actor, attachment=attachment, public=True
                )
        added += before + after
    for attachment in added:
        services.make_attachment_thumbnail(attachment.pk)
    if stdout is not None:
        stdout.write(f"Demo evidence: {len(added)} photos.")
    return len(added)
