"""Demo data on the real places of Shaoxing, with plainly fictional people.

    manage.py seed_demo

Loads data/divisions-shaoxing.csv if the divisions are missing, then creates departments,
enterprises, grids, stationed cadres with their postings, office members, leaders and a
superuser. Every demo login shares DEMO_PASSWORD. Running it again changes nothing: rows
are looked up by their natural keys and only created when missing, and an existing user's
password is left alone.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from contracts.demo import seed_co_building
from dispatch.models import (
    Cadre,
    Department,
    Division,
    Enterprise,
    Grid,
    Membership,
    Posting,
    credit_code_check_char,
)
from evidence.demo import seed_evidence
from fieldwork.demo import seed_fieldwork
from issues.demo import department_logins, seed_department_members, seed_work_orders
from meetings.models import Meeting
from meetings.services import convene_meetings, meeting_people, record_attendance
from sanbufu.demo import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, seed_issues

SHAOXING_CSV = Path(settings.BASE_DIR) / "data" / "divisions-shaoxing.csv"
POSTINGS_START = datetime.date(2025, 1, 1)

CITY = "330600000000"  # 绍兴市
YUECHENG = "330602000000"  # 越城区
KEQIAO = "330603000000"  # 柯桥区
ZHUJI = "330681000000"  # 诸暨市
SHENGZHOU = "330683000000"  # 嵊州市
FUSHAN = "330602002000"  # 府山街道
LANTING = "330603008000"  # 兰亭街道
SHIHUANG = "330683105000"  # 石璜镇
DONGHE = "330681201000"  # 东和乡
SHUSHENG = "330602002045"  # 书圣故里社区
YUEDU = "330602002001"  # 越都社区
LANTING_VILLAGE = "330603008250"  # 兰亭村
XIEJIAWU = "330603008258"  # 谢家坞村
LOUJIA = "330683105265"  # 楼家村
LONGXI = "330681201247"  # 龙溪村

TOWN_DEPARTMENTS = [
    "党政综合办公室",
    "经济发展办公室",
    "农业农村办公室",
    "社会事务办公室",
    "平安建设办公室",
    "综合行政执法队",
]
COUNTY_DEPARTMENTS = [
    "农业农村局",
    "住房和城乡建设局",
    "交通运输局",
    "经济和信息化局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "综合行政执法局",
    "生态环境分局",
    "市场监督管理局",
]
CITY_DEPARTMENTS = [
    "市农业农村局",
    "市住房和城乡建设局",
    "市交通运输局",
    "市经济和信息化局",
    "市人力资源和社会保障局",
    "市自然资源和规划局",
    "市综合行政执法局",
    "市生态环境局",
    "市市场监督管理局",
]
DEPARTMENTS = {
    **{town: TOWN_DEPARTMENTS for town in (FUSHAN, LANTING, SHIHUANG, DONGHE)},
    **{county: COUNTY_DEPARTMENTS for county in (YUECHENG, KEQIAO, ZHUJI, SHENGZHOU)},
    CITY: CITY_DEPARTMENTS,
}

# (first 17 characters of the credit code, name, village); the check character is computed.
ENTERPRISES = [
    ("91330603MA7000001", "演示医用防护服纺织有限公司", XIEJIAWU),
    ("91330603MA7000002", "演示印染有限公司", LANTING_VILLAGE),
    ("91330681MA7000003", "演示袜业有限公司", LONGXI),
    ("91330683MA7000004", "演示领带服饰有限公司", LOUJIA),
]
PROTECTIVE_CLOTHING = "91330603MA7000001"

GRIDS = [
    (SHUSHENG, "书圣故里第一网格"),
    (SHUSHENG, "书圣故里第二网格"),
    (YUEDU, "越都第一网格"),
    (LANTING_VILLAGE, "兰亭村第一网格"),
]

VILLAGE_DUTIES = ["每月走访农户", "收集社情民意", "协调解决问题", "参加民情分析例会"]
COMMUNITY_DUTIES = ["联系网格党支部", "走访居民", "收集社情民意", "协调解决问题"]
ENTERPRISE_DUTIES = ["走访企业", "收集企情", "帮助落实惠企政策", "协调解决生产难题"]
LIAISON_DUTIES = ["联系群众", "反映民情", "回访办理结果"]
DUTIES = {
    Posting.Kind.VILLAGE: VILLAGE_DUTIES,
    Posting.Kind.COMMUNITY: COMMUNITY_DUTIES,
    Posting.Kind.ENTERPRISE: ENTERPRISE_DUTIES,
    Posting.Kind.LIAISON: LIAISON_DUTIES,
}

# (username, name, agency, kind, village, enterprise credit code or None)
CADRES = [
    ("cadre_shusheng", "张三", "越城区住房和城乡建设局", Posting.Kind.COMMUNITY, SHUSHENG, None),
    ("liaison_shusheng", "李四", "府山街道", Posting.Kind.LIAISON, SHUSHENG, None),
    ("cadre_yuedu", "王五", "越城区人力资源和社会保障局", Posting.Kind.COMMUNITY, YUEDU, None),
    ("liaison_yuedu", "赵六", "府山街道", Posting.Kind.LIAISON, YUEDU, None),
    ("cadre_lanting", "钱七", "柯桥区农业农村局", Posting.Kind.VILLAGE, LANTING_VILLAGE, None),
    ("liaison_lanting", "孙八", "兰亭街道", Posting.Kind.LIAISON, LANTING_VILLAGE, None),
    ("cadre_xiejiawu", "周九", "柯桥区自然资源和规划局", Posting.Kind.VILLAGE, XIEJIAWU, None),
    (
        "cadre_enterprise",
        "吴十",
        "柯桥区经济和信息化局",
        Posting.Kind.ENTERPRISE,
        XIEJIAWU,
        PROTECTIVE_CLOTHING,
    ),
    ("cadre_loujia", "郑十一", "嵊州市农业农村局", Posting.Kind.VILLAGE, LOUJIA, None),
    ("cadre_longxi", "冯十二", "诸暨市交通运输局", Posting.Kind.VILLAGE, LONGXI, None),
]

OFFICE, LEADER = Membership.Role.OFFICE, Membership.Role.LEADER
# (username, name, division, role)
MEMBERS = [
    ("office_fushan", "陈甲", FUSHAN, OFFICE),
    ("office_lanting", "褚乙", LANTING, OFFICE),
    ("office_shihuang", "卫丙", SHIHUANG, OFFICE),
    ("office_donghe", "蒋丁", DONGHE, OFFICE),
    ("office_yuecheng", "沈戊", YUECHENG, OFFICE),
    ("office_keqiao", "韩己", KEQIAO, OFFICE),
    ("office_zhuji", "杨庚", ZHUJI, OFFICE),
    ("office_shengzhou", "朱辛", SHENGZHOU, OFFICE),
    ("leader_yuecheng", "秦壬", YUECHENG, LEADER),
    ("leader_keqiao", "尤癸", KEQIAO, LEADER),
    ("leader_keqiao2", "许子", KEQIAO, LEADER),
    ("leader_zhuji", "何丑", ZHUJI, LEADER),
    ("leader_shengzhou", "吕寅", SHENGZHOU, LEADER),
    ("office_city", "施卯", CITY, OFFICE),
    ("leader_city", "孔辰", CITY, LEADER),
    ("leader_city2", "曹巳", CITY, LEADER),
]
# (username, name, village, grid name): grid members (网格员) who see their grid's issues.
GRID_MEMBERS = [
    ("grid_shusheng", "褚网格", SHUSHENG, "书圣故里第一网格"),
    ("grid_lanting", "魏网格", LANTING_VILLAGE, "兰亭村第一网格"),
]
SUPERUSER = "admin"


class Command(BaseCommand):
    help = "Create demo data on the real places of Shaoxing (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list-logins", action="store_true", help="Only print the demo logins; write nothing."
        )

    def handle(self, *args, list_logins: bool = False, **options):
        if list_logins:
            self.print_logins(Division.objects.in_bulk(self.place_codes()))
            return
        # One hash for every new demo user: hashing is deliberately slow, ~0.3 s a time.
        self.password_hash = make_password(DEMO_PASSWORD)
        with transaction.atomic():
            self.ensure_divisions()
            divisions = Division.objects.in_bulk(self.place_codes())
            created = self.seed_territory(divisions)
            created += self.seed_people(divisions)
        self.stdout.write(f"Demo data: {created} rows created.")
        seed_issues(self.stdout)
        seed_work_orders(self.stdout)
        seed_co_building(self.stdout)
        seed_fieldwork(self.stdout, password_hash=self.password_hash)
        seed_evidence(self.stdout)
        # The current week's meetings, so that /meetings/ has one on any weekday.
        week = convene_meetings()
        self.stdout.write(f"{week['week']}: {len(week['convened'])} meetings convened.")
        self.seed_attendance(week["week"])
        self.print_logins(divisions)

    def seed_attendance(self, week: str) -> None:
        """This week's open meetings: chaired by the town's office member, attended by the
        town's people with logins and a county liaison by name (the minutes' first lines)."""
        offices = Membership.objects.filter(role=OFFICE).select_related("user")
        host_of = {m.division_id: m.user for m in offices.order_by("pk")}
        recorded = 0
        for meeting in Meeting.objects.filter(week=week, status=Meeting.Status.OPEN):
            host = host_of.get(meeting.town_id)
            if host is None:
                continue
            record_attendance(
                actor=host,
                meeting=meeting,
                host=host,
                attendees=list(meeting_people(meeting.town_id)[:6]),
                attendee_names="区农业农村局联络员",
            )
            recorded += 1
        self.stdout.write(f"{week}: attendance recorded at {recorded} meetings.")

    @staticmethod
    def place_codes() -> set[str]:
        return (
            {code for _, _, code, _ in MEMBERS}
            | {code for _, _, code, _ in GRID_MEMBERS}
            | {code for *_, code, _ in CADRES}
            | set(DEPARTMENTS)
        )

    def ensure_divisions(self) -> None:
        needed = self.place_codes()
        if Division.objects.filter(code__in=needed).count() < len(needed):
            call_command("import_divisions", str(SHAOXING_CSV), stdout=self.stdout)

    def seed_territory(self, divisions: dict[str, Division]) -> int:
        created = 0
        for code, names in DEPARTMENTS.items():
            for name in names:
                created += Department.objects.get_or_create(division=divisions[code], name=name)[1]
        for first17, name, code in ENTERPRISES:
            created += Enterprise.objects.get_or_create(
                credit_code=first17 + credit_code_check_char(first17),
                defaults={"name": name, "division_id": code},
            )[1]
        for code, name in GRIDS:
            created += Grid.objects.get_or_create(
                division_id=code, name=name, defaults={"party_branch": f"{name}党支部"}
            )[1]
        return created

    def seed_people(self, divisions: dict[str, Division]) -> int:
        created = 0
        for username, name, agency, kind, code, credit in CADRES:
            user, new_user = self.ensure_user(username, name)
            cadre, new_cadre = Cadre.objects.get_or_create(
                user=user, defaults={"name": name, "agency": agency}
            )
            enterprise = None
            if credit:
                enterprise = Enterprise.objects.get(
                    credit_code=credit + credit_code_check_char(credit)
                )
            _, new_posting = Posting.objects.get_or_create(
                cadre=cadre,
                kind=kind,
                division=divisions[code],
                enterprise=enterprise,
                defaults={"started_on": POSTINGS_START, "duties": DUTIES[kind]},
            )
            created += new_user + new_cadre + new_posting
        for username, name, code, role in MEMBERS:
            user, new_user = self.ensure_user(username, name)
            _, new_membership = Membership.objects.get_or_create(
                user=user, division=divisions[code], role=role
            )
            created += new_user + new_membership
        for username, name, code, grid_name in GRID_MEMBERS:
            user, new_user = self.ensure_user(username, name)
            _, new_membership = Membership.objects.get_or_create(
                user=user,
                division=divisions[code],
                role=Membership.Role.GRID,
                defaults={"grid": Grid.objects.get(division_id=code, name=grid_name)},
            )
            created += new_user + new_membership
        created += seed_department_members(self.ensure_user)
        created += self.ensure_user(SUPERUSER, "演示管理员", superuser=True)[1]
        return created

    def ensure_user(self, username: str, name: str, *, superuser: bool = False):
        # Only a new user gets the demo password: a rerun must not undo a changed password.
        return get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": name,
                "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
                "password": self.password_hash,
                "is_staff": superuser,
                "is_superuser": superuser,
            },
        )

    def print_logins(self, divisions: dict[str, Division]) -> None:
        kinds = dict(Posting.Kind.choices)
        roles = dict(Membership.Role.choices)
        lines = [(SUPERUSER, "superuser", "")]
        lines += [
            (username, f"{kinds[kind]} ({name})", getattr(divisions.get(code), "name", code))
            for username, name, _, kind, code, _ in CADRES
        ]
        lines += [
            (username, f"{roles[role]} ({name})", getattr(divisions.get(code), "name", code))
            for username, name, code, role in MEMBERS
        ]
        lines += [
            (username, f"{roles[Membership.Role.GRID]} ({name})", grid)
            for username, name, _code, grid in GRID_MEMBERS
        ]
        lines += department_logins()
        self.stdout.write(f"Demo logins, all with the password {DEMO_PASSWORD!r}:")
        for username, role, place in lines:
            self.stdout.write(f"  {username:<18} {role} {place}".rstrip())
