"""The 403, 404 and 500 pages are the project's own, in the user's language."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path

from sanbufu.urls import urlpatterns as project_urls


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a fault of ours")


urlpatterns = [path("forbidden/", forbidden), path("broken/", broken), *project_urls]


@pytest.mark.parametrize(
    "language, words", [("zh-hans", ["找不到页面", "返回首页"]), ("en", ["Page not found"])]
)
def test_a_missing_page_is_ours_in_the_users_language(client, village_cadre, language, words):
    client.force_login(village_cadre)
    client.cookies["django_language"] = language
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    for word in words:
        assert word in page.text
    assert "<h1>Not Found</h1>" not in page.text


@override_settings(ROOT_URLCONF=__name__)
def test_a_refusal_is_ours_and_says_what_to_do(client, village_cadre):
    client.force_login(village_cadre)
    page = client.get("/forbidden/")
    assert page.status_code == 403
    assert "无权打开此页面" in page.text and "403 Forbidden" not in page.text


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_fault_of_ours_is_a_500_page_of_ours(db):
    client = Client(raise_request_exception=False)
    page = client.get("/broken/")
    assert page.status_code == 500
    assert "系统出错了" in page.content.decode()
