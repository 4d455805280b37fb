"""A contract's five steps: in order, each once, by an office of the community's town or
above."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from common.errors import NotFound, NotPermitted, StaleVersion, TransitionError
from contracts import services
from contracts.models import Contract, ContractStep

from .builders import contract_at, unit

pytestmark = pytest.mark.django_db


def test_the_five_steps_in_order_each_dated_by_whom_with_evidence(shaoxing, town_office):
    contract = contract_at(
        Contract.Step.EVALUATE, actor=town_office, community=shaoxing.lanting_village
    )
    steps = list(contract.steps.values_list("step", "by__username", "note", "score"))
    assert [s[0] for s in steps] == Contract.STEPS
    assert all(s[1] == "town_office" and s[2] for s in steps)
    assert steps[-1][3] == 90
    assert contract.score == 90


def test_a_step_cannot_be_skipped(shaoxing, town_office):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    with translation.override("en"), pytest.raises(TransitionError, match="in order"):
        services.advance_contract(
            actor=town_office, contract=contract, step=Contract.Step.PUBLICISE, note="跳过签约"
        )
    contract.refresh_from_db()
    assert contract.step == Contract.Step.NEGOTIATE
    assert contract.steps.count() == 1


def test_a_step_cannot_be_repeated(shaoxing, town_office):
    contract = contract_at(
        Contract.Step.SIGN, actor=town_office, community=shaoxing.lanting_village
    )
    with translation.override("en"), pytest.raises(TransitionError, match="already been taken"):
        services.advance_contract(
            actor=town_office, contract=contract, step=Contract.Step.SIGN, note="再签一次"
        )
    assert ContractStep.objects.filter(contract=contract, step="sign").count() == 1


def test_a_stale_version_is_refused(shaoxing, town_office):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    services.advance_contract(
        actor=town_office, contract=contract, step="sign", note="签约", version=1
    )
    with pytest.raises(StaleVersion):
        services.advance_contract(
            actor=town_office, contract=contract, step="publicise", note="亮约", version=1
        )


def test_a_cadre_of_the_community_sees_but_does_not_move_it(shaoxing, town_office, village_cadre):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    with pytest.raises(NotPermitted):
        services.advance_contract(actor=village_cadre, contract=contract, step="sign", note="签约")


def test_another_towns_office_does_not_find_it(shaoxing, town_office, other_town_office):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    with pytest.raises(NotFound):
        services.advance_contract(actor=other_town_office, contract=contract, step="sign", note="x")


def test_county_and_city_offices_move_it(shaoxing, town_office, county_office, city_office):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    services.advance_contract(actor=county_office, contract=contract, step="sign", note="签约")
    services.advance_contract(actor=city_office, contract=contract, step="publicise", note="亮约")
    contract.refresh_from_db()
    assert contract.step == Contract.Step.PUBLICISE


def test_opening_a_contract_needs_an_office_over_the_community(shaoxing, village_cadre):
    with pytest.raises(NotPermitted):
        services.open_contract(
            actor=village_cadre,
            unit=unit(),
            community=shaoxing.lanting_village,
            title="共建",
            note="谈约",
        )
    assert not Contract.objects.exists()


@pytest.mark.parametrize("score", [None, -1, 101])
def test_the_evaluation_needs_a_score_from_0_to_100(shaoxing, town_office, score):
    contract = contract_at(
        Contract.Step.PERFORM, actor=town_office, community=shaoxing.lanting_village
    )
    with pytest.raises(ValidationError):
        services.advance_contract(
            actor=town_office, contract=contract, step="evaluate", note="评约", score=score
        )
    contract.refresh_from_db()
    assert contract.step == Contract.Step.PERFORM


def test_a_step_needs_its_evidence_and_no_future_date(shaoxing, town_office):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    with pytest.raises(ValidationError):
        services.advance_contract(actor=town_office, contract=contract, step="sign", note="  ")
    with pytest.raises(ValidationError):
        services.advance_contract(
            actor=town_office,
            contract=contract,
            step="sign",
            note="签约",
            on=timezone.localdate() + datetime.timedelta(days=3),
        )
    assert contract.steps.count() == 1


def test_the_contract_page_moves_it_one_step(client, shaoxing, town_office):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    client.force_login(town_office)
    page = client.get(f"/contracts/{contract.pk}/")
    assert page.status_code == 200
    answer = client.post(
        f"/contracts/{contract.pk}/advance/",
        {"step": "sign", "version": 1, "on": "2026-01-06", "note": "签约仪式"},
    )
    assert answer.status_code == 302
    contract.refresh_from_db()
    assert contract.step == Contract.Step.SIGN
    empty = client.post(
        f"/contracts/{contract.pk}/advance/",
        {"step": "publicise", "version": 2, "on": "2026-01-06", "note": ""},
    )
    assert empty.status_code == 400


def test_the_contract_page_is_not_found_outside_the_jurisdiction(
    client, shaoxing, town_office, other_town_office
):
    contract = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    client.force_login(other_town_office)
    assert client.get(f"/contracts/{contract.pk}/").status_code == 404
    assert client.post(f"/contracts/{contract.pk}/advance/", {"step": "sign"}).status_code == 404


def test_an_office_opens_a_contract_on_the_contracts_page(client, shaoxing, town_office):
    hospital = unit()
    client.force_login(town_office)
    page = client.get("/contracts/").content.decode()
    assert 'id="open-contract"' in page and "谢家坞村" in page and "书圣故里社区" not in page
    answer = client.post(
        "/contracts/",
        {
            "unit": hospital.pk,
            "community": "330603008250",
            "title": "医疗共建契约",
            "note": "首次座谈",
            "menu": "service",
            "side": "unit",
            "item": "每月义诊",
        },
    )
    contract = Contract.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/contracts/{contract.pk}/"
    assert contract.step == Contract.Step.NEGOTIATE and contract.items.get().title == "每月义诊"
    # A community outside the office's town is no choice: a form error, nothing written.
    outside = client.post(
        "/contracts/",
        {"unit": hospital.pk, "community": "330602002045", "title": "x", "note": "y"},
    )
    assert outside.status_code == 400 and Contract.objects.count() == 1


def test_a_cadre_reads_contracts_but_has_no_form_to_open_one(
    client, shaoxing, town_office, village_cadre
):
    contract_at(
        Contract.Step.SIGN, actor=town_office, community=shaoxing.lanting_village, title="兰亭共建"
    )
    client.force_login(village_cadre)
    page = client.get("/contracts/").content.decode()
    assert "兰亭共建" in page and 'id="open-contract"' not in page
    assert client.post("/contracts/", {"title": "x"}).status_code == 200
    assert Contract.objects.count() == 1


def test_the_evaluation_form_asks_for_the_score(client, shaoxing, town_office):
    contract = contract_at(
        Contract.Step.PERFORM, actor=town_office, community=shaoxing.lanting_village
    )
    client.force_login(town_office)
    post = {"step": "evaluate", "version": contract.version, "on": "2026-01-06", "note": "评议"}
    assert client.post(f"/contracts/{contract.pk}/advance/", post).status_code == 400
    answer = client.post(f"/contracts/{contract.pk}/advance/", {**post, "score": "95"})
    assert answer.status_code == 302
    contract.refresh_from_db()
    assert (contract.step, contract.score) == (Contract.Step.EVALUATE, 95)
    assert 'id="advance"' not in client.get(f"/contracts/{contract.pk}/").content.decode()
