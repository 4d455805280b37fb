"""Demo work orders: department members of 兰亭街道 and 柯桥区, and assignments in every state
of the work order (to sign for, late, signed with progress, handed back, arbitrated, extension
asked and granted, supervised yellow and red, resolved), all through the services with
back-dated moments. Called by seed_demo; runs once (nothing is written when any department
has signed for work already)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dispatch.models import Department, Membership

from . import services
from .models import Issue, IssueEvent

LANTING_STREET = "330603008000"
KEQIAO = "330603000000"
LANTING_VILLAGE = "330603008250"
# (username, name, division, department)
DEPARTMENT_MEMBERS = [
    ("dept_lanting_social", "严午", LANTING_STREET, "社会事务办公室"),
    ("dept_lanting_safety", "华未", LANTING_STREET, "平安建设办公室"),
    ("dept_lanting_agri", "金申", LANTING_STREET, "农业农村办公室"),
    ("dept_keqiao_transport", "魏酉", KEQIAO, "交通运输局"),
    ("dept_keqiao_housing", "陶戌", KEQIAO, "住房和城乡建设局"),
]


def seed_department_members(ensure_user: Callable) -> int:
    """The demo's department members (部门承办人); `ensure_user(username, name)` makes the
    login. Returns the rows created."""
    created = 0
    for username, name, code, department_name in DEPARTMENT_MEMBERS:
        department = Department.objects.filter(division_id=code, name=department_name).first()
        if department is None:
            continue
        user, new_user = ensure_user(username, name)
        _, new = Membership.objects.get_or_create(
            user=user,
            department=department,
            defaults={"division_id": code, "role": Membership.Role.DEPARTMENT},
        )
        created += new_user + new
    return created


def department_logins() -> list[tuple[str, str, str]]:
    """(username, role, place) of each demo department member, for the printed logins."""
    return [
        (username, f"{Membership.Role.DEPARTMENT.label} ({name})", department)
        for username, name, _code, department in DEPARTMENT_MEMBERS
    ]


def seed_work_orders(stdout=None, now: datetime | None = None) -> int:
    """Issues of 兰亭村 worked by the demo departments, one in each state of the work order.
    Returns how many issues it raised (0 when already seeded or the demo people are missing)."""
    if IssueEvent.objects.filter(kind=IssueEvent.Kind.ACKNOWLEDGED).exists():
        return 0
    users = get_user_model().objects.in_bulk(
        [
            "cadre_lanting",
            "office_lanting",
            "office_keqiao",
            "leader_keqiao",
            *(u for u, *_ in DEPARTMENT_MEMBERS),
        ],
        field_name="username",
    )
    departments = {
        (d.division_id, d.name): d
        for d in Department.objects.filter(division_id__in=[LANTING_STREET, KEQIAO])
    }
    needed = [(code, name) for _u, _n, code, name in DEPARTMENT_MEMBERS]
    if len(users) < 4 + len(DEPARTMENT_MEMBERS) or any(k not in departments for k in needed):
        return 0
    now = now or timezone.now()
    social = departments[(LANTING_STREET, "社会事务办公室")]
    safety = departments[(LANTING_STREET, "平安建设办公室")]
    agri = departments[(LANTING_STREET, "农业农村办公室")]
    transport = departments[(KEQIAO, "交通运输局")]
    housing = departments[(KEQIAO, "住房和城乡建设局")]
    cadre, office = users["cadre_lanting"], users["office_lanting"]
    county_office, leader = users["office_keqiao"], users["leader_keqiao"]
    m_social, m_safety = users["dept_lanting_social"], users["dept_lanting_safety"]
    m_agri, m_transport = users["dept_lanting_agri"], users["dept_keqiao_transport"]

    def at_town(title: str, description: str, start: datetime) -> Issue:
        issue = services.raise_issue(
            actor=cadre,
            division=LANTING_VILLAGE,
            category="roads" if "路" in title else "environment",
            title=title,
            description=description,
            now=start,
        )
        return services.escalate_issue(
            actor=cadre, issue=issue, reason="multi_department", now=start + timedelta(hours=1)
        )

    def assign(issue, lead, co=(), *, at: datetime, by=office):
        return services.assign_issue(
            actor=by,
            issue=issue,
            department=lead,
            co_departments=[d.pk for d in co],
            note="请按时签收办理。",
            now=at,
        )

    hour = timedelta(hours=1)
    day = timedelta(days=1)
    with transaction.atomic():
        # To sign for, within the window; a co-handler too.
        i = at_town("公交站台破损", "站台顶棚破损漏雨，候车群众反映强烈。", now - 3 * hour)
        assign(i, social, [safety], at=now - hour)
        # Not signed for past the window: red on the dashboard.
        i = at_town("沟渠清淤", "农田灌溉沟渠淤塞，影响春耕。", now - 6 * day)
        assign(i, agri, at=now - 5 * day)
        # Signed for, progress from the lead and the co-handler.
        i = at_town("小区停车难", "老旧小区停车位不足，车辆乱停。", now - 4 * day)
        assign(i, social, [safety], at=now - 4 * day + 2 * hour)
        services.acknowledge_issue(actor=m_social, issue=i, now=now - 4 * day + 3 * hour)
        services.acknowledge_issue(actor=m_safety, issue=i, now=now - 4 * day + 4 * hour)
        services.post_progress(
            actor=m_safety, issue=i, note="已排查周边空地，可增设车位二十个。", now=now - 2 * day
        )
        services.post_progress(
            actor=m_social, issue=i, note="已与物业协商划线方案。", now=now - day
        )
        # Handed back: the office has to choose again.
        i = at_town("广场舞噪音", "晚间广场舞音响过大，影响居民休息。", now - 3 * hour)
        assign(i, agri, at=now - 2 * hour)
        services.hand_back_issue(
            actor=m_agri, issue=i, reason="不属本部门职责", note="建议平安办处理。", now=now - hour
        )
        # Handed back, then arbitrated: assigned to the same department again, which signs.
        i = at_town("违章搭建", "河边新建违章棚屋。", now - 3 * day)
        assign(i, safety, at=now - 3 * day + hour)
        services.hand_back_issue(
            actor=m_safety, issue=i, reason="属执法队职责", now=now - 3 * day + 2 * hour
        )
        assign(i, safety, at=now - 3 * day + 3 * hour)
        services.acknowledge_issue(actor=m_safety, issue=i, now=now - 3 * day + 4 * hour)
        # An extension asked for, waiting for the office.
        i = at_town("路面坑洼", "村道路面坑洼，需要重新铺设。", now - 5 * day)
        assign(i, social, at=now - 5 * day + hour)
        services.acknowledge_issue(actor=m_social, issue=i, now=now - 5 * day + 2 * hour)
        services.request_extension(
            actor=m_social, issue=i, days=5, reason="需等待沥青采购到位。", now=now - day
        )
        # An extension granted: the deadline moved on.
        i = at_town("垃圾中转站异味", "中转站夏季异味明显。", now - 6 * day)
        assign(i, agri, at=now - 6 * day + hour)
        services.acknowledge_issue(actor=m_agri, issue=i, now=now - 6 * day + 2 * hour)
        services.request_extension(
            actor=m_agri, issue=i, days=3, reason="除臭设备待安装。", now=now - 2 * day
        )
        services.decide_extension(
            actor=office, issue=i, approve=True, note="同意延期。", now=now - 2 * day + hour
        )
        # Supervised by the county, open (yellow).
        i = at_town("学校门口交通拥堵", "上下学时段校门口拥堵。", now - 4 * day)
        assign(i, social, at=now - 4 * day + hour)
        services.acknowledge_issue(actor=m_social, issue=i, now=now - 4 * day + 2 * hour)
        services.supervise_issue(
            actor=county_office, issue=i, note="请三个工作日内报告进展。", now=now - hour
        )
        # Supervised, answered late (red).
        i = at_town("消防通道堵塞", "居民楼消防通道堆放杂物。", now - 7 * day)
        assign(i, safety, at=now - 7 * day + hour)
        services.acknowledge_issue(actor=m_safety, issue=i, now=now - 7 * day + 2 * hour)
        services.supervise_issue(actor=county_office, issue=i, note="限期清理。", now=now - 6 * day)
        services.reply_supervision(actor=m_safety, issue=i, note="已组织清理完毕。", now=now - day)
        # Resolved by the department, rated by the reporter.
        i = at_town("路灯维修", "村委门口两盏路灯不亮。", now - 6 * day)
        assign(i, social, at=now - 6 * day + hour)
        services.acknowledge_issue(actor=m_social, issue=i, now=now - 6 * day + 2 * hour)
        services.resolve_issue(
            actor=m_social, issue=i, resolution="已更换灯具。", now=now - 3 * day
        )
        services.record_feedback(actor=office, issue=i, rating="satisfied", now=now - 2 * day)
        # At the county: claimed by a leader (领导牵头), assigned with a co-handler.
        i = at_town("跨镇道路断头路", "两镇交界道路未贯通。", now - 5 * day)
        i = services.escalate_issue(
            actor=office, issue=i, reason="multi_level", now=now - 5 * day + 2 * hour
        )
        services.claim_issue(actor=leader, issue=i, now=now - 5 * day + 3 * hour)
        assign(i, transport, [housing], at=now - 5 * day + 4 * hour, by=leader)
        services.acknowledge_issue(actor=m_transport, issue=i, now=now - 5 * day + 5 * hour)
    if stdout is not None:
        stdout.write("Seeded 11 demo work orders.")
    return 11
