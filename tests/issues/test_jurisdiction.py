"""Who sees and who may act on which issue, for every role, as one table."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from common.errors import NotFound
from dispatch.models import Posting
from issues import services
from issues.models import Issue

from ..factories import IssueFactory, division

# Issues by label: (origin village, tier it sits at now).
PLACES = {
    "lanting@village": ("330603008250", "village"),  # 兰亭村, Keqiao
    "lanting@town": ("330603008250", "town"),
    "lanting@county": ("330603008250", "county"),
    "lanting@city": ("330603008250", "city"),
    "xiejiawu@village": ("330603008258", "village"),  # 谢家坞村, the enterprise's village
    "shusheng@village": ("330602002045", "village"),  # 书圣故里社区, Yuecheng
    "shusheng@town": ("330602002045", "town"),
    "yuedu@village": ("330602002001", "village"),  # 越都社区, Yuecheng
}
KEQIAO = {k for k in PLACES if k.startswith(("lanting", "xiejiawu"))}
FUSHAN = {k for k in PLACES if k.startswith(("shusheng", "yuedu"))}
EVERYTHING = set(PLACES)

# role: (visible, actionable)
TABLE = {
    "village_cadre": (
        {"lanting@village", "lanting@town", "lanting@county", "lanting@city"},
        {"lanting@village"},
    ),
    "enterprise_cadre": ({"xiejiawu@village"}, {"xiejiawu@village"}),
    "community_cadre": ({"shusheng@village", "shusheng@town"}, {"shusheng@village"}),
    "liaison": ({"yuedu@village"}, {"yuedu@village"}),
    "town_office": (KEQIAO, {"lanting@town"}),
    "other_town_office": (FUSHAN, {"shusheng@town"}),
    "county_office": (KEQIAO, {"lanting@county"}),
    "county_leader": (KEQIAO, {"lanting@county"}),
    "city_office": (EVERYTHING, {"lanting@city"}),
    "city_leader": (EVERYTHING, {"lanting@city"}),
    "superuser": (EVERYTHING, EVERYTHING),
    "outsider": (set(), set()),
}


@pytest.fixture
def issues(shaoxing, enterprise) -> dict[str, Issue]:
    made = {}
    for label, (code, tier) in PLACES.items():
        issue = IssueFactory(division=division(code), title=label)
        while issue.tier != tier:
            issue = services.escalate_issue(actor=None, issue=issue, reason="multi_level")
        made[label] = issue
    return made


def labels(qs) -> set[str]:
    return set(qs.values_list("title", flat=True))


@pytest.mark.parametrize("role", TABLE)
def test_each_role_sees_exactly_the_issues_in_its_subtrees(request, issues, role):
    user = request.getfixturevalue(role)
    visible, _actionable = TABLE[role]

    assert labels(Issue.objects.visible_to(user)) == visible


@pytest.mark.parametrize("role", TABLE)
def test_each_role_may_act_exactly_on_the_issues_it_holds(request, issues, role):
    user = request.getfixturevalue(role)
    visible, actionable = TABLE[role]

    assert labels(Issue.objects.actionable_by(user)) == actionable
    assert actionable <= visible


def test_an_issue_escalated_past_the_cadre_stays_visible_but_not_actionable(
    shaoxing, village_cadre
):
    issue = IssueFactory(actor=village_cadre)
    assert Issue.objects.actionable_by(village_cadre).filter(pk=issue.pk).exists()

    services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")

    assert Issue.objects.visible_to(village_cadre).filter(pk=issue.pk).exists()
    assert not Issue.objects.actionable_by(village_cadre).filter(pk=issue.pk).exists()


def test_a_cadre_whose_posting_ended_no_longer_sees_its_issues(shaoxing, village_cadre):
    issue = IssueFactory(actor=village_cadre)
    Posting.objects.filter(cadre__user=village_cadre).update(
        ended_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    # A fresh load of the user, as the next request would have.
    user = get_user_model().objects.get(pk=village_cadre.pk)

    assert not Issue.objects.visible_to(user).exists()
    assert not Issue.objects.actionable_by(user).exists()
    with pytest.raises(NotFound):
        services.resolve_issue(actor=user, issue=issue, resolution="已解决")


def test_an_inactive_user_sees_nothing(issues, town_office):
    town_office.is_active = False
    town_office.save(update_fields=["is_active"])
    user = get_user_model().objects.get(pk=town_office.pk)

    assert not Issue.objects.visible_to(user).exists()
