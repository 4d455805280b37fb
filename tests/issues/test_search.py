"""Finding an issue: "my issues" means mine, keyword search on the pages and the API, and
phones that are checked and can be called."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.phones import normalize_phone
from issues import services
from issues.models import Issue

from ..factories import CategoryFactory


@pytest.fixture
def water(db):
    return CategoryFactory(code="water", name_zh="供水", name_en="Water supply")


def raise_(actor, division, water, title, **kw):
    return services.raise_issue(actor=actor, division=division, category=water, title=title, **kw)


def listed(client, **params) -> set[int]:
    page = client.get(reverse("issues:list"), params)
    assert page.status_code == 200
    return {issue.pk for issue in page.context["page"].object_list}


def test_my_issues_are_those_i_raised_or_that_my_post_holds(
    client, village_cadre, town_office, shaoxing, water
):
    village = village_cadre.cadre.postings.get().division
    by_me = raise_(village_cadre, village, water, "村口水管破裂")
    by_office = raise_(town_office, village, water, "路灯不亮")  # held by my village
    elsewhere = raise_(town_office, shaoxing.xiejiawu, water, "河道漂浮物")
    escalated = raise_(town_office, village, water, "危房改造")
    services.escalate_issue(actor=village_cadre, issue=escalated, reason="beyond_authority")
    client.force_login(village_cadre)

    assert listed(client) == {by_me.pk, by_office.pk}
    # The jurisdiction as a whole is a filter (the cadre sees only their village).
    assert listed(client, scope="all") == {by_me.pk, by_office.pk, escalated.pk}
    assert elsewhere.pk not in listed(client, scope="all")


def test_an_office_members_issues_are_those_their_office_holds(
    client, village_cadre, town_office, water
):
    village = village_cadre.cadre.postings.get().division
    at_village = raise_(village_cadre, village, water, "村口水管破裂")
    at_town = raise_(village_cadre, village, water, "危房改造")
    services.escalate_issue(actor=village_cadre, issue=at_town, reason="beyond_authority")
    client.force_login(town_office)
    assert listed(client) == {at_town.pk}
    assert listed(client, scope="all") == {at_village.pk, at_town.pk}


def test_search_finds_by_number_text_reporter_and_place_within_the_jurisdiction(
    client, village_cadre, town_office, shaoxing, water
):
    village = village_cadre.cadre.postings.get().division
    pipe = raise_(
        village_cadre,
        village,
        water,
        "村口水管破裂",
        description="三组主管道漏水 PIPE-7",
        reporter_name="王大伯",
        reporter_phone="13812345678",
    )
    lamp = raise_(village_cadre, village, water, "路灯不亮", reporter_name="李师傅")
    outside = raise_(town_office, shaoxing.xiejiawu, water, "水管冻裂")
    client.force_login(village_cadre)

    assert listed(client, q="水管", scope="all") == {pipe.pk}
    assert listed(client, q="pipe-7", scope="all") == {pipe.pk}  # any case
    assert listed(client, q="王大伯", scope="all") == {pipe.pk}
    assert listed(client, q="13812345678", scope="all") == {pipe.pk}
    assert listed(client, q="1381234", scope="all") == set()  # a phone only whole
    assert listed(client, q=f"#{lamp.pk}", scope="all") == {lamp.pk}
    assert listed(client, q=village.name, scope="all") == {pipe.pk, lamp.pk}
    assert listed(client, q="水管 三组", scope="all") == {pipe.pk}  # every word
    assert listed(client, q="100%_", scope="all") == set()  # wildcards taken literally
    assert outside.pk not in listed(client, q="水管", scope="all")


def test_the_api_searches_the_same_way(client, village_cadre, water):
    village = village_cadre.cadre.postings.get().division
    pipe = raise_(village_cadre, village, water, "村口水管破裂", reporter_name="王大伯")
    raise_(village_cadre, village, water, "路灯不亮")
    client.force_login(village_cadre)
    body = client.get("/api/v1/issues/", {"search": "王大伯"}).json()
    assert [row["id"] for row in body["results"]] == [pipe.pk]
    too_long = client.get("/api/v1/issues/", {"search": "水" * 101})
    assert too_long.status_code == 400


def test_the_list_shows_the_filters_folded_and_the_deadline(client, village_cadre, water):
    village = village_cadre.cadre.postings.get().division
    raise_(village_cadre, village, water, "村口水管破裂")
    client.force_login(village_cadre)
    page = client.get(reverse("issues:list")).text
    assert "<details>" in page and "更多筛选" in page
    assert "到期 " in page


@pytest.mark.parametrize(
    "written, stored",
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0575-88881234", "0575-88881234"),
        ("057588881234", "0575-88881234"),
        ("010 12345678", "010-12345678"),
        ("", ""),
    ],
)
def test_phones_are_stored_in_one_form(written, stored):
    assert normalize_phone(written) == stored


@pytest.mark.parametrize("written", ["12345", "1381234567", "23812345678", "138-1234-567x"])
def test_a_phone_that_is_no_mainland_number_is_refused(written):
    with pytest.raises(ValidationError):
        normalize_phone(written)


def test_a_bad_phone_is_a_400_on_the_api_and_writes_nothing(client, village_cadre, water):
    client.force_login(village_cadre)
    village = village_cadre.cadre.postings.get().division
    answer = client.post(
        "/api/v1/issues/",
        {
            "division": village.code,
            "category": "water",
            "title": "村口水管破裂",
            "reporter_phone": "12345",
        },
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "reporter_phone" in answer.json()
    assert not Issue.objects.exists()


def test_whoever_may_act_gets_a_link_to_call_and_a_viewer_a_masked_number(
    client, village_cadre, county_leader, water
):
    village = village_cadre.cadre.postings.get().division
    issue = raise_(village_cadre, village, water, "村口水管破裂", reporter_phone="0575-88881234")
    client.force_login(village_cadre)
    page = client.get(reverse("issues:detail", args=[issue.pk])).text
    assert 'href="tel:057588881234"' in page
    client.force_login(county_leader)
    page = client.get(reverse("issues:detail", args=[issue.pk])).text
    assert "tel:" not in page and "88881234" not in page
