"""双向认领: the community's needs taken up by units, the units' offers taken up by the
community, on the community page and in the API."""

from __future__ import annotations

import pytest

from contracts.models import Need, Offer

from .builders import unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(shaoxing):
    county_hospital = unit("柯桥区人民医院", division=shaoxing.keqiao)
    need = Need.objects.create(community=shaoxing.lanting_village, title="老年食堂缺厨具")
    offer = Offer.objects.create(
        unit=county_hospital, community=shaoxing.lanting_village, title="急救培训"
    )
    return county_hospital, need, offer


def test_an_office_records_a_unit_taking_up_a_need_then_meeting_it(client, lists, town_office):
    hospital, need, _offer = lists
    client.force_login(town_office)
    page = client.get("/contracts/community/330603008250/").content.decode()
    # A county unit co-builds with a community of its towns: the town office may choose it.
    assert "老年食堂缺厨具" in page and "柯桥区人民医院" in page
    base = f"/contracts/community/330603008250/needs/{need.pk}"
    assert client.post(f"{base}/claim/", {"unit": hospital.pk}).status_code == 302
    need.refresh_from_db()
    assert (need.status, need.claimed_by) == (Need.Status.CLAIMED, hospital)
    client.post(f"{base}/claim/", {"unit": hospital.pk})  # twice: refused, unchanged
    client.post(f"{base}/meet/")
    need.refresh_from_db()
    assert need.status == Need.Status.MET


def test_a_cadre_of_the_community_takes_up_an_offer_but_not_a_need(client, lists, village_cadre):
    hospital, need, offer = lists
    client.force_login(village_cadre)
    base = "/contracts/community/330603008250"
    client.post(f"{base}/needs/{need.pk}/claim/", {"unit": hospital.pk})
    need.refresh_from_db()
    assert need.status == Need.Status.OPEN
    assert client.post(f"{base}/offers/{offer.pk}/take/").status_code == 302
    offer.refresh_from_db()
    assert offer.status == Offer.Status.CLAIMED


def test_another_towns_office_finds_no_such_community(client, lists, other_town_office):
    _hospital, need, _offer = lists
    client.force_login(other_town_office)
    assert client.get("/contracts/community/330603008250/").status_code == 404
    base = "/contracts/community/330603008250"
    assert client.post(f"{base}/needs/{need.pk}/meet/").status_code == 404


def test_the_api_takes_up_needs_and_offers(client, lists, town_office):
    hospital, need, offer = lists
    client.force_login(town_office)
    assert [n["title"] for n in client.get("/api/v1/needs/").json()["results"]] == [
        "老年食堂缺厨具"
    ]
    claimed = client.post(
        f"/api/v1/needs/{need.pk}/claim/", {"unit": hospital.pk}, content_type="application/json"
    )
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed"
    again = client.post(
        f"/api/v1/needs/{need.pk}/claim/", {"unit": hospital.pk}, content_type="application/json"
    )
    assert again.status_code == 409
    assert client.post(f"/api/v1/needs/{need.pk}/meet/").json()["status"] == "met"
    assert client.post(f"/api/v1/offers/{offer.pk}/take/").json()["status"] == "claimed"
    assert client.post(f"/api/v1/offers/{offer.pk}/take/").status_code == 409
    bad = client.post(
        f"/api/v1/needs/{need.pk}/claim/", {"unit": 0}, content_type="application/json"
    )
    assert bad.status_code in (400, 409)
