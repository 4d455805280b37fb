"""What the server checks of an upload, and what it reads from it, before anything is stored.

A file is judged by its content, never by its name or the type the browser claims: a PDF by
its header, an image by Pillow reading it. Images are decoded and encoded again without their
metadata, so EXIF (GPS position, camera serial numbers) never reaches the store; the place
and time taken are read from it first.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC from iPhones, when pillow-heif is installed; otherwise refused as unknown.
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
except ImportError:  # pragma: no cover - optional
    pass

# Pillow's format name -> (content type, the format it is stored in). HEIC is stored as JPEG:
# browsers do not show HEIC.
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "JPEG"),
    "PNG": ("image/png", "PNG"),
    "WEBP": ("image/webp", "WEBP"),
    "HEIF": ("image/jpeg", "JPEG"),
}
PDF_MAGIC = b"%PDF-"
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
DATETIME = 306
SIX_PLACES = Decimal("0.000001")


@dataclass
class Checked:
    kind: str  # Attachment.Kind
    content_type: str
    content: bytes  # what is stored: an image without metadata, a PDF as sent
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]}, code="invalid")


def check_upload(upload, *, documents: bool = True) -> Checked:
    """Check one uploaded file (a Django UploadedFile or any file object). Raises
    ValidationError {"file": [...]} with a message the uploader can act on."""
    limit = settings.SANBUFU_ATTACHMENT_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _refuse(_too_big(size, limit))
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(_too_big(len(data), limit))
    if not data:
        raise _refuse(_("The file is empty."))
    if data.startswith(PDF_MAGIC):
        if not documents:
            raise _refuse(_("Only photos may be added here."))
        return Checked(kind="document", content_type="application/pdf", content=data)
    return _check_image(data)


def _too_big(size: int, limit: int) -> str:
    return _("The file is %(size)s MB; at most %(limit)s MB are accepted.") % {
        "size": f"{size / 1048576:.1f}",
        "limit": f"{limit / 1048576:.0f}",
    }


def _check_image(data: bytes) -> Checked:
    allowed = _("Accepted are photos (JPEG, PNG, WebP, HEIC) and PDF documents.")
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        message = _("This file is not a photo or document that can be read.")
        raise _refuse(f"{message} {allowed}") from None
    formats = IMAGE_FORMATS.get(image.format or "")
    if formats is None:
        raise _refuse(
            _("Images of type %(format)s are not accepted.") % {"format": image.format}
            + " "
            + allowed
        )
    width, height = image.size
    pixels = settings.SANBUFU_ATTACHMENT_MAX_PIXELS
    # Judged from the header, before the pixels are decoded (a small file may decode to
    # gigabytes: a decompression bomb).
    if width * height > pixels:
        raise _refuse(
            _("The photo has %(mp)s megapixels; at most %(limit)s are accepted.")
            % {"mp": f"{width * height / 1e6:.1f}", "limit": f"{pixels / 1e6:.1f}"}
        )
    content_type, stored_format = formats
    exif = image.getexif()
    taken_at = _taken_at(exif)
    latitude, longitude = _point(exif)
    try:
        # Turned upright as the camera meant, since the orientation tag goes with the rest.
        upright = ImageOps.exif_transpose(image)
        upright.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(f"{_('This photo is damaged and cannot be read.')} {allowed}") from None
    content = _encode(upright, stored_format)
    return Checked(
        kind="image",
        content_type=content_type,
        content=content,
        width=upright.width,
        height=upright.height,
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
    )


def _encode(image: Image.Image, stored_format: str) -> bytes:
    """The pixels alone: no EXIF, XMP, ICC-embedded comments or PNG text chunks are passed on."""
    out = io.BytesIO()
    if stored_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=88, optimize=True)
    elif stored_format == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=85)
    return out.getvalue()


def make_thumbnail(content: bytes, size: int) -> bytes:
    image: Image.Image = Image.open(io.BytesIO(content))
    image.thumbnail((size, size))
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _taken_at(exif: Image.Exif) -> datetime | None:
    value = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not isinstance(value, str):
        return None
    try:
        naive = datetime.strptime(value.strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    # EXIF times carry no zone; a camera here keeps Chinese time (the project's TIME_ZONE).
    taken = timezone.make_aware(naive)
    return taken if taken <= timezone.now() else None


def _degrees(value, ref) -> Decimal | None:
    try:
        d, m, s = (Decimal(str(float(part))) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    if ref in ("S", "W", b"S", b"W"):
        result = -result
    return result.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def _point(exif: Image.Exif) -> tuple[Decimal | None, Decimal | None]:
    gps = exif.get_ifd(GPS_IFD)
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    latitude = _degrees(gps[2], gps.get(1))
    longitude = _degrees(gps[4], gps.get(3))
    if latitude is None or longitude is None:
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude == longitude == 0):
        return None, None
    return latitude, longitude
