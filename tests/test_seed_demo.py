from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpRequest
from django.utils import timezone

from common.weeks import current_week
from dispatch.models import Cadre, Department, Division, Enterprise, Grid, Membership, Posting
from dispatch.services import coverage, jurisdiction
from meetings.models import Meeting
from sanbufu.demo import DEMO_PASSWORD

MODELS = [get_user_model(), Division, Department, Enterprise, Grid, Cadre, Posting, Membership]
SEEDED_VILLAGES = [
    "330602002045",  # 书圣故里社区
    "330602002001",  # 越都社区
    "330603008250",  # 兰亭村
    "330603008258",  # 谢家坞村
    "330683105265",  # 楼家村
    "330681201247",  # 龙溪村
]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_the_second_time():
    first_output = seed()
    first = counts()

    second_output = seed()

    assert counts() == first
    assert "2278 created" in first_output
    assert "Demo data: 0 rows created." in second_output
    assert first["Division"] == 2278
    assert first["Membership"] >= 16


@pytest.mark.django_db
def test_seed_demo_prints_logins_that_work(client):
    output = seed()
    usernames = [line.split()[0] for line in output.splitlines() if line.startswith("  ")]

    assert DEMO_PASSWORD in output
    assert {"admin", "cadre_lanting", "office_lanting", "leader_keqiao"} <= set(usernames)
    for username in usernames:
        # The login lockout needs the request a password arrives with.
        assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD), (
            username
        )
        client.logout()


@pytest.mark.django_db
def test_seed_demo_posts_every_kind_and_covers_the_demo_villages():
    seed()

    kinds = set(Posting.objects.values_list("kind", flat=True))
    assert kinds == {k.value for k in Posting.Kind}
    assert set(Posting.objects.active().values_list("division_id", flat=True)) == set(
        SEEDED_VILLAGES
    )
    assert coverage(Division.objects.get(code="330603008000"))["uncovered"] == [
        c
        for c in Division.objects.filter(parent_id="330603008000").values_list("code", flat=True)
        if c not in SEEDED_VILLAGES
    ]
    enterprise_posting = Posting.objects.get(kind=Posting.Kind.ENTERPRISE)
    enterprise_posting.full_clean()
    assert "防护服" in enterprise_posting.enterprise.name
    for enterprise in Enterprise.objects.all():
        enterprise.full_clean()


@pytest.mark.django_db
def test_seed_demo_roles_give_the_expected_jurisdiction():
    seed()
    User = get_user_model()

    assert "330603008250" in jurisdiction(User.objects.get(username="cadre_lanting")).cadre_at
    assert jurisdiction(User.objects.get(username="office_lanting")).is_office_of("330603008000")
    assert "330603000000" in jurisdiction(User.objects.get(username="leader_keqiao")).leader_at
    assert jurisdiction(User.objects.get(username="leader_city")).sees("330681201247")
    assert User.objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_seed_demo_convenes_this_weeks_meetings_and_prints_no_library_warnings():
    output = seed()

    assert Meeting.objects.filter(week=current_week()).count() >= 4
    assert "meetings convened" in output
    # Each meeting's minutes start with who chaired and who attended.
    for meeting in Meeting.objects.filter(week=current_week()):
        assert meeting.host_id and meeting.attendees.exists()
        assert meeting.attendee_names == "区农业农村局联络员"
    assert "AXES" not in output


def test_the_zero_setup_broker_connects_without_a_warning(caplog, settings):
    from kombu import Connection

    with caplog.at_level("WARNING"):
        Connection(settings.ZERO_SETUP_BROKER_URL)._info()
    assert [r.getMessage() for r in caplog.records] == []


@pytest.mark.django_db
def test_the_login_page_lists_the_demo_logins_only_with_debug_on(client, settings):
    seed()
    settings.DEBUG = False
    assert "cadre_lanting" not in client.get("/accounts/login/").text
    settings.DEBUG = True
    page = client.get("/accounts/login/").text
    assert 'id="demo-logins"' in page
    assert "cadre_lanting" in page and "office_lanting" in page and DEMO_PASSWORD in page


@pytest.mark.django_db
def test_seed_demo_has_department_members_with_work_in_every_state():
    from issues.models import CoHandling, Issue, IssueEvent

    output = seed()
    assert "dept_lanting_social" in output and "dept_keqiao_transport" in output
    kinds = set(IssueEvent.objects.values_list("kind", flat=True))
    assert {
        "acknowledged",
        "handed_back",
        "progress",
        "extension_requested",
        "extension_decided",
        "supervised",
        "supervision_replied",
    } <= kinds
    assert IssueEvent.objects.filter(kind="assigned", reason="arbitrated").exists()
    assert CoHandling.objects.exists()
    social = get_user_model().objects.get(username="dept_lanting_social")
    queue = Issue.objects.visible_to(social)
    assert queue.unacknowledged().exists()  # something to sign for
    assert queue.filter(pending_extension__isnull=False).exists()
    assert queue.supervised().exists()
    assert queue.filter(status="resolved").exists()
    assert Issue.objects.unacknowledged().filter(ack_due_at__lt=timezone.now()).exists()
    seed()  # a second run adds no work orders
    assert IssueEvent.objects.filter(kind="handed_back").count() == 2
