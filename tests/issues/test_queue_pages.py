"""The department's work queue and the work order on the issue page and the board."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from issues import services
from issues.models import Issue, IssueEvent
from issues.rules import allowed_actions

from ..factories import CategoryFactory, IssueFactory
from .test_cadre_pages import act, detail, shown_actions


@pytest.fixture
def water(db):
    return CategoryFactory(code="water", name_zh="供水", name_en="Water supply")


def assign(village_cadre, town_office, departments, water, title="路灯不亮", co=True):
    issue = IssueFactory(actor=village_cadre, category=water, title=title)
    issue = services.escalate_issue(actor=village_cadre, issue=issue, reason="multi_department")
    return services.assign_issue(
        actor=town_office,
        issue=issue,
        department=departments.social,
        co_departments=[departments.urban.pk] if co else [],
    )


def section(html: str, name: str) -> str:
    match = re.search(rf'<ul class="rows" id="{name}">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def test_a_department_member_lands_on_the_queue(client, social_member):
    client.force_login(social_member)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("issues:queue")


def test_queue_signs_for_incoming_work_in_one_click(
    client, village_cadre, town_office, departments, social_member, water
):
    issue = assign(village_cadre, town_office, departments, water)
    client.force_login(social_member)
    page = client.get(reverse("issues:queue")).text
    assert "路灯不亮" in section(page, "incoming")
    assert "To sign for" in page or "待签收" in page
    response = client.post(
        reverse("issues:action", args=[issue.pk, "acknowledge"]),
        {"acknowledge-version": issue.version, "next": reverse("issues:queue")},
    )
    assert response.status_code == 302 and response.url == reverse("issues:queue")
    page = client.get(reverse("issues:queue")).text
    assert "路灯不亮" not in section(page, "incoming")
    assert "路灯不亮" in section(page, "working")
    assert issue.events.filter(kind=IssueEvent.Kind.ACKNOWLEDGED).count() == 1


def test_queue_shows_nothing_of_other_departments(
    client, village_cadre, town_office, departments, safety_member, water
):
    assign(village_cadre, town_office, departments, water)
    client.force_login(safety_member)
    page = client.get(reverse("issues:queue")).text
    assert "路灯不亮" not in page


def test_queue_query_count_does_not_grow(
    client, village_cadre, town_office, departments, social_member, water, query_budget
):
    assign(village_cadre, town_office, departments, water)
    client.force_login(social_member)
    client.get(reverse("issues:queue"))
    with query_budget.measure():
        client.get(reverse("issues:queue"))
    for i in range(4):
        assign(village_cadre, town_office, departments, water, title=f"问题{i}")
    with query_budget.same():
        client.get(reverse("issues:queue"))


@pytest.mark.parametrize("persona", ["social_member", "urban_member", "town_office"])
def test_issue_page_offers_exactly_the_allowed_work_order_actions(
    request, client, village_cadre, town_office, departments, water, persona
):
    issue = assign(village_cadre, town_office, departments, water)
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = detail(client, issue)
    assert response.status_code == 200
    shown = shown_actions(response.text)
    assert shown == set(allowed_actions(user, issue)) - {"resolve_on_spot"}
    expected = {
        "social_member": {"acknowledge", "hand_back", "progress", "resolve", "extension"},
        "urban_member": {"acknowledge", "progress"},
        "town_office": {"assign", "resolve", "extension", "supervise", "escalate", "return"},
    }[persona]
    assert expected <= shown
    assert "城建办" in response.text  # the co-handler is named


def test_hand_back_from_the_page_then_arbitration_hides_it(
    client, village_cadre, town_office, departments, social_member, water
):
    issue = assign(village_cadre, town_office, departments, water, co=False)
    client.force_login(social_member)
    response = act(client, issue, "hand_back", reason="不属本部门")
    assert response.status_code == 302
    assert response.url == reverse("issues:queue")  # no longer theirs to see
    client.force_login(town_office)
    assert act(client, issue, "assign", department=departments.social.pk).status_code == 302
    client.force_login(social_member)
    assert "hand_back" not in shown_actions(detail(client, issue).text)
    # Posting it anyway is refused with a message, nothing written.
    response = act(client, issue, "hand_back", reason="再退")
    assert response.status_code == 302
    assert issue.events.filter(kind=IssueEvent.Kind.HANDED_BACK).count() == 1


def test_bad_extension_input_is_a_form_error(
    client, village_cadre, town_office, departments, social_member, water
):
    issue = assign(village_cadre, town_office, departments, water)
    client.force_login(social_member)
    response = act(client, issue, "extension", days=99, reason="等")
    assert response.status_code == 400
    assert response.context["actions"]
    issue.refresh_from_db()
    assert issue.pending_extension is None
    assert act(client, issue, "extension", days=2, reason="等检测").status_code == 302
    client.force_login(town_office)
    assert "decide_extension" in shown_actions(detail(client, issue).text)
    assert act(client, issue, "decide_extension", approve="1").status_code == 302
    issue.refresh_from_db()
    assert issue.extension_count == 1


def test_board_lists_supervised_work_and_offers_the_claimers_actions(
    client, village_cadre, town_office, county_office, county_leader, water
):
    issue = IssueFactory(actor=village_cadre, category=water, title="桥梁加固")
    for actor in (village_cadre, town_office):
        issue = services.escalate_issue(actor=actor, issue=issue, reason="multi_level")
    services.claim_issue(actor=county_leader, issue=issue)
    services.supervise_issue(actor=county_office, issue=issue, note="请加快")
    client.force_login(county_leader)
    page = client.get(reverse("issues:board")).text
    assert "桥梁加固" in section(page, "supervised")
    assert f'id="mine-{issue.pk}-extension"' in page
    assert f'id="mine-{issue.pk}-supervision_reply"' in page
    assert Issue.objects.get(pk=issue.pk).supervision.replied_at is None
