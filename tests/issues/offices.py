"""Helpers shared by the office, meeting and claim-board tests: issues put where the test
needs them through the real services."""

from __future__ import annotations

from issues.models import Category, Issue
from issues.services import escalate_issue, raise_issue

from ..factories import DepartmentFactory, division


def category(code: str = "water", zh: str = "供水", en: str = "Water supply") -> Category:
    return Category.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})[0]


def town_department(name: str = "兰亭街道农业农村办"):
    return DepartmentFactory(name=name, division=division("330603008000"))


def county_department(name: str = "柯桥区住建局"):
    return DepartmentFactory(name=name, division=division("330603000000"))


def issue_at_village(cadre, title: str = "村口路灯不亮", village: str = "330603008250", **kw):
    return raise_issue(
        actor=cadre,
        division=village,
        category=kw.pop("category", None) or category(),
        title=title,
        **kw,
    )


def issue_at_town(cadre, title: str = "灌溉渠堵塞", **kw) -> Issue:
    issue = issue_at_village(cadre, title, **kw)
    return escalate_issue(actor=cadre, issue=issue, reason="beyond_authority", note="村里解决不了")


def issue_at_county(cadre, office, title: str = "跨村道路塌方", **kw) -> Issue:
    issue = issue_at_town(cadre, title, **kw)
    return escalate_issue(actor=office, issue=issue, reason="multi_department", note="涉及多个部门")
