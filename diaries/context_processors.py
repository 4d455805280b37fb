"""The diary's name in menus and titles: an enterprise service officer keeps a 企情日记, every
other cadre a 民情日记 (the posting's kind decides, as it decides the entry's kind)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dispatch.services import jurisdiction

PEOPLE = {
    "new": _("New diary entry"),
    "list": _("Diaries"),
    "recent": _("Recent diary entries"),
    "all": _("All diary entries"),
    "none": _("No diary entries yet."),
}
ENTERPRISE = {
    "new": _("New enterprise diary entry"),
    "list": _("Enterprise diaries"),
    "recent": _("Recent enterprise diary entries"),
    "all": _("All enterprise diary entries"),
    "none": _("No enterprise diary entries yet."),
}


def diary_words(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    j = jurisdiction(user)
    return {"diary_words": ENTERPRISE if j.keeps_enterprise_diary else PEOPLE, "persona": j}
