"""A fresh install can raise issues at once: a default catalogue of categories, in the order the
office sets, with "other" last, readable through the API."""

from __future__ import annotations

from django.urls import reverse

from issues.models import Category


def test_a_fresh_install_has_the_default_catalogue_with_other_last(db):
    codes = list(Category.objects.values_list("code", flat=True))
    assert {"water", "roads", "environment", "disputes", "enterprise_approval"} <= set(codes)
    assert codes[-1] == "other"
    other = Category.objects.get(code="other")
    assert (other.name_zh, other.name_en) == ("其他", "Other")
    # Deadlines are left to the tier defaults until an office sets them.
    assert not Category.objects.exclude(town_days=None).exists()


def test_the_diary_form_offers_categories_in_the_offices_order(client, village_cadre):
    Category.objects.filter(code="disputes").update(sort_order=1)
    client.force_login(village_cadre)
    page = client.get(reverse("diaries:new")).text
    assert page.index("矛盾纠纷") < page.index("供水排水") < page.index(">其他<")


def test_the_api_lists_the_categories_in_order(client, village_cadre):
    client.force_login(village_cadre)
    body = client.get("/api/v1/categories/").json()
    assert body[0]["code"] == "water" and body[-1]["code"] == "other"
    assert body[0] == {
        "code": "water",
        "name_zh": "供水排水",
        "name_en": "Water supply and drainage",
        "sort_order": 10,
        "village_days": None,
        "town_days": None,
        "county_days": None,
        "city_days": None,
    }
    assert client.get("/api/v1/categories/nothing/").status_code == 404


def test_the_categories_need_a_login(client, db):
    assert client.get("/api/v1/categories/").status_code in (401, 403)
