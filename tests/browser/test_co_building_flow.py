"""On a phone: a community's town office moves a co-building contract from 谈约 to 履约, then
a cadre resolves an issue through the contract's resource from the issue page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from contracts.models import Contract, Kind, PartnerResolution
from issues.models import Issue

from ..contracts.builders import contract_at, map_category, resource_for, unit
from ..factories import IssueFactory
from .test_cadre_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def co_building(transactional_db, shaoxing, town_office, village_cadre):
    contract = contract_at(
        Contract.Step.NEGOTIATE,
        actor=town_office,
        community=shaoxing.lanting_village,
        unit_obj=unit("柯桥区中医医院"),
        title="兰亭村中医进村共建契约",
    )
    clinic = resource_for(contract, name="中医巡诊")
    category = map_category("elderly", Kind.MEDICAL)
    issue = IssueFactory(actor=village_cadre, category=category, title="独居老人看病难")
    return contract, clinic, issue


def test_an_office_moves_a_contract_to_perform_and_a_cadre_resolves_through_it(
    browser, live_server, co_building, artifacts_dir
):
    contract, clinic, issue = co_building
    phone = {"width": 390, "height": 844}

    office = browser.new_context(viewport=phone, locale="zh-CN", base_url=live_server.url)
    office.set_default_timeout(10_000)
    page = office.new_page()
    log_in(page, "town_office")
    page.goto("/contracts/")
    page.click(f"a[href='/contracts/{contract.pk}/']")
    expect(page).to_have_url(re.compile(rf"/contracts/{contract.pk}/$"))
    for shown, note in (("签约", "签约仪式"), ("亮约", "公示栏亮约"), ("履约", "首次巡诊")):
        page.fill("#advance textarea[name=note]", note)
        page.click("#advance button[type=submit]")
        expect(page.locator("#contract-step")).to_have_text(shown)
    page.screenshot(path=artifacts_dir / "contract-perform-phone.png", full_page=True)
    contract.refresh_from_db()
    assert contract.step == Contract.Step.PERFORM
    assert list(contract.steps.values_list("step", flat=True)) == Contract.STEPS[:4]
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    office.close()

    cadre = browser.new_context(viewport=phone, locale="zh-CN", base_url=live_server.url)
    cadre.set_default_timeout(10_000)
    page = cadre.new_page()
    log_in(page, "village_cadre")
    page.goto(f"/issues/{issue.pk}/")
    expect(page.locator("#partners")).to_contain_text("中医巡诊")
    page.click("#partners-through summary")
    page.select_option("#id_through-source", f"resource:{clinic.pk}")
    page.fill("#id_through-resolution", "中医上门巡诊，开具处方")
    page.click("#partners-through button[type=submit]")
    expect(page.locator(".timeline")).to_contain_text("柯桥区中医医院")
    expect(page.locator("#partners")).to_contain_text("柯桥区中医医院")
    page.screenshot(path=artifacts_dir / "resolved-through-partner-phone.png", full_page=True)
    assert Issue.objects.get(pk=issue.pk).is_resolved
    assert PartnerResolution.objects.get(issue=issue).resource == clinic
    cadre.close()
