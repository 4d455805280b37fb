"""Mainland China phone numbers as people write them: a mobile (11 digits, 1[3-9]…) or a
landline with its area code (0575-88881234). Stored as digits, with the landline's hyphen."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes are 010, 02x (three digits) or 0xxx (four); local numbers 7 or 8 digits.
LANDLINE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})$")
INVALID = _("Write a mobile number (11 digits) or a landline with its area code, as 0575-88881234.")


def normalize_phone(text: str) -> str:
    """`text` as stored ('' stays ''), or ValidationError when it is no mainland number."""
    digits = re.sub(r"[\s\-()（）]", "", text or "")
    if not digits:
        return ""
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if MOBILE.match(digits):
        return digits
    landline = LANDLINE.match(digits)
    if landline:
        return f"{landline[1]}-{landline[2]}"
    raise ValidationError(INVALID, code="phone")


def tel_uri(phone: str) -> str:
    """The `tel:` link of a stored number."""
    return "tel:" + phone.replace("-", "")
