from __future__ import annotations

from pathlib import Path

import pytest

from issues import services

from ..factories import CategoryFactory

PHONE = "13812345678"


@pytest.fixture
def sms_files(settings, tmp_path) -> Path:
    """Text messages written as files under a fresh directory."""
    settings.SMS_BACKEND = "filebased"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SITE_URL = "http://testserver"
    return tmp_path / "sms"


def messages_in(directory: Path) -> list[tuple[str, str]]:
    """(phone, text) of each message file, oldest first."""
    if not directory.exists():
        return []
    out = []
    for path in sorted(directory.iterdir()):
        phone, text = path.read_text(encoding="utf-8").split("\n", 1)
        out.append((phone, text.strip()))
    return out


@pytest.fixture
def water(db):
    return CategoryFactory(code="water")


@pytest.fixture
def reported(shaoxing, village_cadre, water):
    """An issue a villager reported to the village cadre, with the villager's phone."""
    return services.raise_issue(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        category=water,
        title="自来水水压不足",
        reporter_name="王大伯",
        reporter_phone=PHONE,
    )


@pytest.fixture
def api_client_for():
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
