"""What the server accepts as evidence, judged by content, and what it keeps of it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.checks import check_upload

from .photos import exif_of, jpeg, pdf, png


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_photo_is_stored_without_its_exif_after_place_and_time_are_read():
    checked = check_upload(upload(jpeg()))
    assert checked.kind == "image" and checked.content_type == "image/jpeg"
    assert (checked.latitude, checked.longitude) == (Decimal("30.010000"), Decimal("120.500000"))
    assert checked.taken_at is not None and checked.taken_at.isoformat().startswith(
        "2026-11-20T09:30"
    )
    kept = exif_of(checked.content)
    assert kept["gps"] == {} and kept["base"] == {} and kept["info"] is None
    assert b"Phone X serial" not in checked.content


def test_a_file_named_jpeg_that_is_not_an_image_is_refused_with_a_reason():
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(b"MZ\x90\x00 this is a program, not a photo" * 20))
    assert "不是可识别的照片或文档" in refused.value.message_dict["file"][0]


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.SANBUFU_ATTACHMENT_MAX_BYTES = 10_000
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(jpeg(1200, 900, colour=(1, 2, 3)) + b"\0" * 20_000))
    assert "MB" in refused.value.message_dict["file"][0]


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(settings):
    settings.SANBUFU_ATTACHMENT_MAX_PIXELS = 100 * 100
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(png(101, 100), "a.png", "image/png"))
    assert "百万像素" in refused.value.message_dict["file"][0]


def test_png_is_kept_as_png_and_pdf_as_a_document():
    assert check_upload(upload(png(), "a.png", "image/png")).content_type == "image/png"
    document = check_upload(upload(pdf(), "a.pdf", "application/pdf"))
    assert (document.kind, document.content_type) == ("document", "application/pdf")


def test_a_pdf_is_refused_where_only_photos_are_taken():
    with pytest.raises(ValidationError):
        check_upload(upload(pdf(), "a.pdf", "application/pdf"), documents=False)


def test_a_gif_is_not_an_accepted_type():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(out.getvalue(), "a.gif", "image/gif"))
    assert "GIF" in refused.value.message_dict["file"][0]
