"""The work orders in the admin: the dashboard's panel, the filters and the actions."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from issues import services
from issues.models import Issue, SupervisionOrder

from ..factories import IssueFactory


def assigned_issue(village_cadre, town_office, department, title="路灯不亮", now=None):
    issue = IssueFactory(actor=village_cadre, title=title, now=now)
    issue = services.escalate_issue(
        actor=village_cadre, issue=issue, reason="multi_department", now=now
    )
    return services.assign_issue(actor=town_office, issue=issue, department=department, now=now)


def test_dashboard_shows_unsigned_work_red_and_the_assessment(
    client, town_office, village_cadre, departments, social_member
):
    long_ago = timezone.now() - timedelta(days=5)
    late = assigned_issue(village_cadre, town_office, departments.social, "未签收", now=long_ago)
    signed = assigned_issue(village_cadre, town_office, departments.social, "已签收")
    services.acknowledge_issue(actor=social_member, issue=signed)
    client.force_login(town_office)
    page = client.get("/admin/").content.decode()
    panel = page.split('id="work-orders"')[1]
    assert 'id="unsigned">1<' in panel
    assert f"#{late.pk} 未签收" in panel
    assert "已签收" not in panel.split('id="unsigned-list"')[1].split("</ul>")[0]
    assert "社会事务办公室" in panel.split('id="assessment"')[1]
    assert "format=xlsx" in panel


def test_signed_and_supervision_filters(client, town_office, village_cadre, departments):
    long_ago = timezone.now() - timedelta(days=5)
    late = assigned_issue(village_cadre, town_office, departments.social, "沟渠清淤", now=long_ago)
    fresh = assigned_issue(village_cadre, town_office, departments.urban, "公交站台破损")
    services.supervise_issue(actor=town_office, issue=fresh, note="请加快")
    client.force_login(town_office)
    listed = lambda q: client.get(f"/admin/issues/issue/?{q}").content.decode()  # noqa: E731
    page = listed("signed=late")
    assert "沟渠清淤" in page and "公交站台破损" not in page
    page = listed("supervision=open")
    assert "公交站台破损" in page and "沟渠清淤" not in page
    assert late.pk != fresh.pk


def test_supervise_action_issues_orders_through_the_service(
    client, town_office, village_cadre, departments
):
    issue = assigned_issue(village_cadre, town_office, departments.social)
    client.force_login(town_office)
    response = client.post(
        "/admin/issues/issue/",
        {
            "action": "supervise_action",
            "_selected_action": [issue.pk],
            "apply": "1",
            "note": "请三日内答复",
        },
    )
    assert response.status_code == 302
    order = SupervisionOrder.objects.get()
    assert order.issue_id == issue.pk and order.note == "请三日内答复"
    assert Issue.objects.get(pk=issue.pk).supervision_id == order.pk


def test_office_adds_and_removes_its_departments_members_in_the_admin(
    client, town_office, departments
):
    from dispatch.models import Membership

    from ..factories import UserFactory

    newcomer = UserFactory(username="新承办人")
    client.force_login(town_office)
    add = "/admin/dispatch/membership/add/"
    assert client.get(add).status_code == 200
    refused = client.post(add, {"user": newcomer.pk, "role": "office", "division": "330603008000"})
    assert refused.status_code == 200  # the form again, with the error
    outside = client.post(
        add, {"user": newcomer.pk, "role": "department", "department": departments.transport.pk}
    )
    assert outside.status_code == 200
    assert not Membership.objects.filter(user=newcomer).exists()
    response = client.post(
        add, {"user": newcomer.pk, "role": "department", "department": departments.social.pk}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=newcomer)
    assert (membership.department, membership.division_id) == (departments.social, "330603008000")
    delete = f"/admin/dispatch/membership/{membership.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(user=newcomer).exists()
    office_row = Membership.objects.get(user=town_office)
    assert client.post(f"/admin/dispatch/membership/{office_row.pk}/delete/").status_code == 403
