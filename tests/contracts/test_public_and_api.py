"""亮约: the public page of a community; and the REST endpoints of co-building."""

from __future__ import annotations

import pytest

from contracts.models import CommitteeMember, Contract, Kind

from .builders import contract_at, map_category, resource_for, unit

pytestmark = pytest.mark.django_db


def test_the_public_page_lists_publicised_contracts_of_that_community_only(
    client, shaoxing, town_office
):
    hospital = unit("柯桥区中医医院", contact_name="王联络", contact_phone="13800001234")
    shown = contract_at(
        Contract.Step.PERFORM,
        actor=town_office,
        community=shaoxing.lanting_village,
        unit_obj=hospital,
        title="医疗共建契约",
    )
    resource_for(shown)
    contract_at(
        Contract.Step.SIGN,
        actor=town_office,
        community=shaoxing.lanting_village,
        unit_obj=unit("某学校", kind="school"),
        title="尚未亮约的契约",
    )
    contract_at(
        Contract.Step.PUBLICISE,
        actor=town_office,
        community=shaoxing.xiejiawu,
        title="谢家坞的契约",
    )
    CommitteeMember.objects.create(
        unit=hospital, community=shaoxing.lanting_village, name="李兼职", started_on="2024-01-01"
    )
    page = client.get("/co-building/330603008250/")  # no login
    assert page.status_code == 200
    text = page.content.decode()
    assert "医疗共建契约" in text and "柯桥区中医医院" in text
    assert "每月义诊" in text and "社区义诊" in text  # a menu item, a resource
    assert "尚未亮约的契约" not in text and "谢家坞的契约" not in text
    # No personal data: no contact, no phone, no committee member, no step's recorder.
    for private in ("王联络", "13800001234", "李兼职", "town_office"):
        assert private not in text
    assert client.get("/co-building/330603008000/").status_code == 404  # a town, not a community
    assert client.get("/co-building/nonsense/").status_code == 404


def test_the_contracts_api_lists_in_fixed_queries_and_moves_steps(
    client, shaoxing, town_office, query_budget
):
    contract_at(Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village)
    client.force_login(town_office)
    client.get("/api/v1/contracts/")
    with query_budget.measure():
        assert len(client.get("/api/v1/contracts/").json()["results"]) == 1
    for _ in range(5):
        contract_at(Contract.Step.SIGN, actor=town_office, community=shaoxing.xiejiawu)
    with query_budget.same():
        assert len(client.get("/api/v1/contracts/").json()["results"]) == 6

    created = client.post(
        "/api/v1/contracts/",
        {
            "unit": unit("越城区图书馆", kind="agency").pk,
            "community": "330603008258",
            "title": "文化共建",
            "note": "谈约纪要",
            "items": [{"menu": "service", "side": "unit", "title": "流动图书"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        created.json()["step"] == "negotiate" and created.json()["items"][0]["title"] == "流动图书"
    )
    skipped = client.post(
        f"/api/v1/contracts/{pk}/advance/",
        {"step": "perform", "note": "x"},
        content_type="application/json",
    )
    assert skipped.status_code == 409
    signed = client.post(
        f"/api/v1/contracts/{pk}/advance/",
        {"step": "sign", "note": "签约"},
        content_type="application/json",
    )
    assert signed.status_code == 200 and signed.json()["step"] == "sign"
    bad = client.post(
        f"/api/v1/contracts/{pk}/advance/", {"step": "nonsense"}, content_type="application/json"
    )
    assert bad.status_code == 400


def test_a_cadre_may_not_move_a_contract_through_the_api(
    client, shaoxing, town_office, village_cadre
):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    client.force_login(village_cadre)
    answer = client.post(
        f"/api/v1/contracts/{contract.pk}/advance/",
        {"step": "sign", "note": "x"},
        content_type="application/json",
    )
    assert answer.status_code == 403


def test_resolving_through_a_resource_in_the_api(client, shaoxing, town_office, village_cadre):
    from ..factories import IssueFactory

    contract = contract_at(
        Contract.Step.PERFORM, actor=town_office, community=shaoxing.lanting_village
    )
    clinic = resource_for(contract)
    category = map_category("health", Kind.MEDICAL)
    issue = IssueFactory(actor=village_cadre, category=category)
    client.force_login(village_cadre)
    answer = client.post(
        f"/api/v1/resources/{clinic.pk}/resolve/",
        {"issue": issue.pk, "resolution": "义诊解决"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "resolved"
    assert "社区义诊" in answer.json()["resolution"]
    again = client.post(
        f"/api/v1/resources/{clinic.pk}/resolve/",
        {"issue": issue.pk, "resolution": "义诊解决"},
        content_type="application/json",
    )
    assert again.status_code == 409
    missing = client.post(
        f"/api/v1/resources/{clinic.pk}/resolve/",
        {"issue": 99999, "resolution": "x"},
        content_type="application/json",
    )
    assert missing.status_code == 404
