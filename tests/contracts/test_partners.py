"""Issues meet resources: a cadre resolves an issue through a contracted resource of its
community, and every timeline and the statistics show it; an issue may become a need."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from common.errors import NotFound, TransitionError
from contracts import services
from contracts.models import Contract, Kind, Need, PartnerResolution
from contracts.selectors import stats
from issues.models import IssueEvent
from issues.services import escalate_issue
from issues.tracking import resident_link

from ..factories import IssueFactory
from .builders import contract_at, map_category, project_for, resource_for, unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def health(shaoxing, town_office):
    """A signed contract of 兰亭村 with a hospital, its free clinic, and a health category."""
    contract = contract_at(
        Contract.Step.PERFORM,
        actor=town_office,
        community=shaoxing.lanting_village,
        unit_obj=unit("柯桥区中医医院"),
    )
    return map_category("health", Kind.MEDICAL), resource_for(contract)


def issue_of(category, cadre, **kwargs):
    return IssueFactory(actor=cadre, category=category, title="独居老人看病难", **kwargs)


def test_resolving_through_a_resource_shows_on_the_timeline_and_the_public_feed(
    client, health, village_cadre
):
    category, clinic = health
    issue = issue_of(category, village_cadre)
    services.resolve_through(
        actor=village_cadre, issue=issue, resource=clinic, resolution="医院上门问诊"
    )
    issue.refresh_from_db()
    assert issue.is_resolved
    event = issue.events.get(kind=IssueEvent.Kind.RESOLVED)
    assert "柯桥区中医医院" in event.note and "社区义诊" in event.note
    link = PartnerResolution.objects.get(issue=issue)
    assert (link.unit.name, link.resource, link.by) == ("柯桥区中医医院", clinic, village_cadre)

    # The offices' page shows it on the timeline and in the partners' panel.
    client.force_login(village_cadre)
    page = client.get(f"/issues/{issue.pk}/").content.decode()
    assert page.count("柯桥区中医医院") >= 2
    # What the resident reads (the public feed of the issue) names the partner.
    client.logout()
    public = client.get(f"/open311/v2/requests/{issue.pk}.json").json()[0]
    assert "柯桥区中医医院" in public["status_notes"]
    # And so does the resident's own page, behind the link of the resolution's message.
    resident = client.get(resident_link(issue.pk).split(settings.SITE_URL.rstrip("/"))[1])
    assert resident.status_code == 200
    assert "柯桥区中医医院" in resident.content.decode()
    assert "社区义诊" in public["status_notes"]


def test_the_panel_offers_only_matching_contracted_resources(
    client, health, shaoxing, town_office, village_cadre
):
    category, clinic = health
    # A venue does not answer a health issue; a resource under a contract not yet signed
    # and a resource of another community are not offered either.
    resource_for(clinic.contract, kind=Kind.VENUE, name="党群活动室")
    draft = contract_at(
        Contract.Step.NEGOTIATE, actor=town_office, community=shaoxing.lanting_village
    )
    resource_for(draft, name="未签约的义诊")
    other = contract_at(Contract.Step.PERFORM, actor=town_office, community=shaoxing.xiejiawu)
    resource_for(other, name="谢家坞义诊")
    project = project_for(clinic.contract)
    issue = issue_of(category, village_cadre)
    client.force_login(village_cadre)
    page = client.get(f"/issues/{issue.pk}/").content.decode()
    assert 'id="partners"' in page
    assert "社区义诊" in page and "健康小屋" in page
    for absent in ("党群活动室", "未签约的义诊", "谢家坞义诊"):
        assert absent not in page
    # Posting a resource the panel did not offer is refused; nothing is resolved.
    wrong = other.resources.get()
    answer = client.post(
        f"/contracts/issues/{issue.pk}/resolve/",
        {"through-source": f"resource:{wrong.pk}", "through-resolution": "x", "through-version": 1},
    )
    assert answer.status_code == 400
    assert 'id="partners-through" open' in answer.content.decode()
    empty = client.post(
        f"/contracts/issues/{issue.pk}/resolve/",
        {"through-source": f"resource:{clinic.pk}", "through-resolution": "", "through-version": 1},
    )
    assert empty.status_code == 400
    issue.refresh_from_db()
    assert not issue.is_resolved
    with pytest.raises(ValidationError):
        services.resolve_through(actor=village_cadre, issue=issue, resource=wrong, resolution="x")
    # Through the project, from the page.
    answer = client.post(
        f"/contracts/issues/{issue.pk}/resolve/",
        {
            "through-source": f"project:{project.pk}",
            "through-resolution": "健康小屋巡诊",
            "through-version": issue.version,
        },
    )
    assert answer.status_code == 302
    issue.refresh_from_db()
    assert issue.is_resolved and "健康小屋" in issue.resolution


def test_only_who_may_resolve_it_sees_the_panel_and_resolves(
    client, health, village_cadre, other_town_office, liaison
):
    category, clinic = health
    issue = issue_of(category, village_cadre)
    with pytest.raises(NotFound):
        services.resolve_through(
            actor=other_town_office, issue=issue, resource=clinic, resolution="x"
        )
    client.force_login(other_town_office)
    assert client.post(f"/contracts/issues/{issue.pk}/resolve/", {}).status_code == 404


def test_above_town_tier_partners_do_not_resolve(health, village_cadre, town_office, county_office):
    category, clinic = health
    issue = issue_of(category, village_cadre)
    escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    escalate_issue(actor=town_office, issue=issue, reason="beyond_authority")
    with pytest.raises(TransitionError):
        services.resolve_through(actor=county_office, issue=issue, resource=clinic, resolution="x")


def test_resolved_with_a_partner_counts_each_issue_while_the_partners_answer_stands(
    health, village_cadre, town_office
):
    from issues.services import record_feedback, resolve_issue

    category, clinic = health
    first = issue_of(category, village_cadre)
    second = issue_of(category, village_cadre)
    issue_of(category, village_cadre)
    services.resolve_through(actor=village_cadre, issue=first, resource=clinic, resolution="义诊")
    services.resolve_through(actor=village_cadre, issue=second, resource=clinic, resolution="义诊")
    assert stats(town_office)["resolved_with_partner"] == 2
    assert stats(town_office, within="330603008250")["resolved_with_partner"] == 2
    assert stats(town_office, within="330602002045")["resolved_with_partner"] == 0
    # Unsatisfied, reopened, then resolved by the village itself: no longer the partner's.
    # The reporter's answer, recorded by the town office (回访): the raiser never rates.
    record_feedback(actor=town_office, issue=second, rating="unsatisfied")
    assert stats(town_office)["resolved_with_partner"] == 1
    resolve_issue(actor=village_cadre, issue=second, resolution="村里自行协调")
    assert stats(town_office)["resolved_with_partner"] == 1


def test_an_issue_becomes_a_need_units_take_up(health, village_cadre, town_office):
    category, _clinic = health
    issue = issue_of(category, village_cadre)
    need = services.raise_need(actor=village_cadre, issue=issue, title="需要上门医疗服务")
    assert need.community_id == issue.division_id and need.status == Need.Status.OPEN
    assert issue.events.filter(kind=IssueEvent.Kind.COMMENTED).exists()
    with pytest.raises(TransitionError):
        services.raise_need(actor=village_cadre, issue=issue)
    hospital = unit("越城区人民医院")
    services.claim_need(actor=town_office, need=need, unit=hospital)
    services.meet_need(actor=town_office, need=need)
    figures = stats(town_office)
    assert (figures["needs"], figures["needs_met"]) == (1, 1)
