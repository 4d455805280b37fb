"""The offices' admin of co-building: scoped to their communities."""

from __future__ import annotations

import pytest

from contracts.models import Contract

from .builders import contract_at, resource_for

pytestmark = pytest.mark.django_db


def test_an_office_reads_its_communities_contracts_only(
    client, shaoxing, town_office, other_town_office
):
    mine = contract_at(
        Contract.Step.SIGN, actor=town_office, community=shaoxing.lanting_village, title="兰亭共建"
    )
    resource_for(mine)
    contract_at(
        Contract.Step.SIGN, actor=other_town_office, community=shaoxing.shusheng, title="府山共建"
    )
    client.force_login(town_office)
    listing = client.get("/admin/contracts/contract/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "兰亭共建" in text and "府山共建" not in text
    theirs = Contract.objects.get(title="府山共建")
    assert client.get(f"/admin/contracts/contract/{theirs.pk}/change/").status_code == 404
    assert client.get(f"/admin/contracts/contract/{mine.pk}/change/").status_code == 200
    assert client.get("/admin/contracts/resource/").status_code == 200
    for model in (
        "unit",
        "project",
        "need",
        "offer",
        "committeemember",
        "partnerresolution",
        "categorykind",
    ):
        assert client.get(f"/admin/contracts/{model}/").status_code == 200, model


def test_a_cadre_does_not_reach_the_admin(client, village_cadre):
    client.force_login(village_cadre)
    assert client.get("/admin/contracts/contract/").status_code == 302
