"""Photos made with Pillow for the tests: a JPEG with the EXIF a phone writes (GPS position,
time taken, camera), and plain images of any size."""

from __future__ import annotations

import io

from PIL import Image

# 兰亭村, Keqiao: 30.0 N, 120.5 E (degrees, minutes, seconds as EXIF rationals).
LAT, LON = (30, 0, 36.0), (120, 30, 0.0)


def jpeg(width: int = 640, height: int = 480, *, gps: bool = True, colour=(90, 140, 60)) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone X serial 12345"  # Model
    exif.get_ifd(0x8769)[36867] = "2026:11:20 09:30:00"  # DateTimeOriginal
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: LAT, 3: "E", 4: LON})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 255)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def exif_of(data: bytes) -> dict:
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {"base": dict(exif), "gps": dict(exif.get_ifd(0x8825)), "info": image.info.get("exif")}
