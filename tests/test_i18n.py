"""Simplified Chinese by default, English on request, and a complete Chinese catalogue."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from issues.services import raise_issue

from .factories import CategoryFactory

LOCALE = Path(settings.BASE_DIR) / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr(s) and flags; obsolete skipped."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        entry: dict = {"flags": set(), "msgstr": []}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key, value = match.groups()
                if key.startswith("msgstr"):
                    entry["msgstr"].append(value)
                else:
                    entry[key] = value
            elif line.startswith('"') and key is not None:
                value = line[1:-1]
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += value
                else:
                    entry[key] += value
        entries.append(entry)
    return entries


def test_chinese_catalogue_translates_every_message_without_fuzzy_entries():
    entries = [e for e in po_entries(ZH_PO) if e["msgid"]]  # the header has an empty msgid
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
def test_chinese_catalogue_passes_msgfmt_check_with_nothing_untranslated(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "zh.mo"), str(ZH_PO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr
    # The committed .mo is compiled from the committed .po.
    with ZH_MO.open("rb") as committed, (tmp_path / "zh.mo").open("rb") as fresh:
        assert gettext.GNUTranslations(committed)._catalog == (
            gettext.GNUTranslations(fresh)._catalog
        )


def test_format_placeholders_survive_translation():
    for entry in po_entries(ZH_PO):
        wanted = sorted(re.findall(r"%\(\w+\)s|%s", entry["msgid"]))
        for translated in entry["msgstr"]:
            if entry["msgid"]:
                assert sorted(re.findall(r"%\(\w+\)s|%s", translated)) == wanted, entry["msgid"]


@pytest.fixture
def pages(client, village_cadre):
    category = CategoryFactory(code="water", name_zh="供水", name_en="Water supply")
    issue = raise_issue(
        actor=village_cadre,
        division=village_cadre.cadre.postings.get().division,
        category=category,
        title="自来水水压不足",
    )
    client.force_login(village_cadre)
    return [
        reverse("home"),
        reverse("diaries:new"),
        reverse("diaries:list"),
        reverse("issues:list"),
        reverse("issues:detail", args=[issue.pk]),
    ]


@pytest.mark.parametrize(
    "language, words",
    [("zh-hans", ["首页", "我的问题", "退出登录"]), ("en", ["Home", "My issues", "Log out"])],
)
def test_each_main_page_renders_in_both_languages(client, pages, settings, language, words):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.text
        for word in words:
            assert word in response.text, (url, word)


def test_chinese_is_the_default_without_any_preference(client, db):
    response = client.get(reverse("login"))
    assert '<html lang="zh-hans">' in response.text
    assert "登录" in response.text


def test_browser_asking_for_chinese_gets_chinese(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "用户名" in response.text


def test_language_cookie_en_gives_english(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "Username" in response.text
    assert "用户名" not in response.text


def test_language_switcher_sets_english_for_the_next_pages(client, village_cadre):
    client.force_login(village_cadre)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("issues:list")}
    )
    assert response.status_code == 302
    assert "My issues" in client.get(reverse("issues:list")).text
