"""The words a daily user reads: 上报 for escalation, one meaning per msgid, weeks as people say
them, the enterprise officer's 企情日记, and menus that fit each persona."""

from __future__ import annotations

import gettext
import re
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.weeks import week_label
from dispatch.models import Posting
from meetings.services import convene_meeting

LOCALE = Path(settings.BASE_DIR) / "locale"
ZH_MO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_escalation_is_never_called_upload_in_the_catalogue_or_the_templates():
    with ZH_MO.open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog
    uploads = {key: text for key, text in catalogue.items() if "上传" in str(text)}
    assert uploads == {}
    in_templates = [p.name for p in TEMPLATES.rglob("*.html") if "上传" in p.read_text("utf-8")]
    assert in_templates == []
    with translation.override("zh-hans"):
        assert translation.gettext("Escalate") == "上报"


def _label_msgid(label) -> tuple[str | None, str]:
    """(context, msgid) of a lazy translated choice label."""
    args = label._args
    return (args[0], args[1]) if len(args) == 2 else (None, args[0])


def test_no_msgid_without_a_context_names_two_different_choices():
    """The same English word in two enumerations (an issue that is open, a meeting that is
    open) has two meanings; each needs its own context so that each can read right."""
    meanings: dict[str, set[frozenset]] = {}
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in {"dispatch", "issues", "meetings", "diaries"}:
            continue
        for field in model._meta.get_fields():
            choices = getattr(field, "choices", None)
            if not choices:
                continue
            values = frozenset(value for value, _label in choices)
            for _value, label in choices:
                if not hasattr(label, "_args"):
                    continue
                context, msgid = _label_msgid(label)
                if context is None:
                    meanings.setdefault(msgid, set()).add(values)
    shared = {msgid: len(sets) for msgid, sets in meanings.items() if len(sets) > 1}
    assert shared == {}


@pytest.mark.parametrize(
    "language, label",
    [("zh-hans", "第48周（11月23日—11月29日）"), ("en", "Week 48 (11/23–11/29)")],
)
def test_a_week_reads_as_its_number_and_its_days(language, label):
    with translation.override(language):
        assert week_label("2026-W48") == label


def test_a_week_across_the_new_year_names_its_own_days():
    with translation.override("zh-hans"):
        assert week_label("2026-W53") == "第53周（12月28日—1月3日）"


def test_the_meeting_page_and_its_spreadsheet_name_the_week_in_words(client, town_office):
    meeting = convene_meeting(town=town_office.memberships.get().division_id, week="2026-W48")
    client.force_login(town_office)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).text
    assert "第48周（11月23日—11月29日）" in page
    assert "2026-W48" not in re.sub(r'(href|value|action)="[^"]*"', "", page)
    sheet = client.get(reverse("meetings:xlsx", args=[meeting.pk]))
    disposition = sheet["Content-Disposition"]
    assert disposition.startswith("attachment; filename")
    assert "filename*=utf-8''" in disposition
    assert "%E7%AC%AC48%E5%91%A8" in disposition  # 第48周, percent-encoded


def test_an_enterprise_officer_keeps_a_qiqing_diary(client, enterprise_cadre):
    client.force_login(enterprise_cadre)
    home = client.get(reverse("home")).text
    assert "写企情日记" in home and "民情日记" not in home


def test_a_village_cadre_keeps_a_minqing_diary(client, village_cadre):
    client.force_login(village_cadre)
    home = client.get(reverse("home")).text
    assert "写民情日记" in home and "企情日记" not in home


def test_an_office_member_has_office_menus_and_no_cadre_menus(client, town_office):
    client.force_login(town_office)
    nav = client.get(reverse("home")).text.split("</nav>")[0]
    assert reverse("meetings:list") in nav and reverse("admin:index") in nav
    assert reverse("issues:board") in nav
    assert reverse("diaries:new") not in nav and "我的问题" not in nav


def test_a_leader_has_the_board_and_no_cadre_or_office_menus(client, county_leader):
    client.force_login(county_leader)
    nav = client.get(reverse("home")).text.split("</nav>")[0]
    assert reverse("issues:board") in nav
    assert reverse("diaries:new") not in nav and reverse("meetings:list") not in nav


def test_a_cadre_has_cadre_menus_only(client, village_cadre):
    client.force_login(village_cadre)
    nav = client.get(reverse("home")).text.split("</nav>")[0]
    assert reverse("diaries:new") in nav and "我的问题" in nav
    assert reverse("meetings:list") not in nav and reverse("issues:board") not in nav


def test_a_cadre_with_a_village_and_an_enterprise_posting_keeps_a_minqing_diary(
    client, enterprise_cadre, shaoxing
):
    Posting.objects.create(
        cadre=enterprise_cadre.cadre,
        kind=Posting.Kind.VILLAGE,
        division=shaoxing.lanting_village,
        started_on=date(2026, 1, 1),
    )
    client.force_login(enterprise_cadre)
    assert "写民情日记" in client.get(reverse("home")).text


def test_every_form_that_posts_leaves_checking_to_the_server():
    """No browser bubble stands in for a message: every form posting data is `novalidate`
    (the language switcher and the logout button carry no fields to check)."""
    unchecked = []
    for path in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<form\b[^>]*>", path.read_text("utf-8")):
            if 'method="post"' in tag and "novalidate" not in tag:
                unchecked.append((path.name, tag))
    assert unchecked == [
        ("base.html", f'<form class="lang" action="{{% url {q}set_language{q} %}}" method="post">')
        for q in ["'"]
    ] + [("base.html", '<form action="{% url \'logout\' %}" method="post">')]
