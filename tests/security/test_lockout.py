"""Password guessing: the login page, the admin login and the API token lock out a username,
and a client address, after LOGIN_FAILURE_LIMIT failures for LOGIN_LOCKOUT_MINUTES."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED_MESSAGE = "登录失败次数过多"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


def login_page(username, password, ip):
    response = Client(REMOTE_ADDR=ip).post(
        "/accounts/login/", {"username": username, "password": password}
    )
    return {302: "ok", 200: "wrong", 429: "locked"}[response.status_code], response


def admin_login(username, password, ip):
    response = Client(REMOTE_ADDR=ip).post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )
    return {302: "ok", 200: "wrong", 429: "locked"}[response.status_code], response


def api_token(username, password, ip):
    response = Client(REMOTE_ADDR=ip).post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
    )
    return {200: "ok", 400: "wrong", 429: "locked"}[response.status_code], response


ENDPOINTS = [login_page, admin_login, api_token]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", is_superuser=True, is_staff=True)


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", is_superuser=True, is_staff=True)


def fail_until_locked(endpoint, username="alice", ip=ATTACKER):
    outcomes = [
        endpoint(username, "wrong-guess", ip)[0] for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    return outcomes


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__)
def test_sixth_guess_and_then_the_right_password_are_refused(endpoint, alice):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert endpoint("alice", DEFAULT_PASSWORD, ATTACKER)[0] == "ok"

    # The failure that reaches the limit is the last one answered as a wrong password.
    outcomes = fail_until_locked(endpoint)
    assert outcomes == ["wrong"] * 4 + ["locked"]

    outcome, response = endpoint("alice", "another-guess", ATTACKER)
    assert outcome == "locked"
    outcome, response = endpoint("alice", DEFAULT_PASSWORD, ATTACKER)
    assert outcome == "locked"
    text = response.content.decode()
    assert LOCKED_MESSAGE in text
    assert "15" in text
    if endpoint is api_token:
        assert set(response.json()) == {"detail"}
        assert LOCKED_MESSAGE in response.json()["detail"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__)
def test_lockout_holds_the_username_and_the_address_but_not_others(endpoint, alice, bob):
    fail_until_locked(endpoint)

    assert endpoint("bob", DEFAULT_PASSWORD, ELSEWHERE)[0] == "ok"
    # The username from another address, and another username from the address, are refused.
    assert endpoint("alice", DEFAULT_PASSWORD, ELSEWHERE)[0] == "locked"
    assert endpoint("bob", DEFAULT_PASSWORD, ATTACKER)[0] == "locked"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__)
def test_lockout_ends_after_the_lockout_period(endpoint, alice):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail_until_locked(endpoint)
        traveller.shift(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
        assert endpoint("alice", DEFAULT_PASSWORD, ATTACKER)[0] == "locked"
        # Attempts during the lockout do not extend it.
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert endpoint("alice", DEFAULT_PASSWORD, ATTACKER)[0] == "ok"


def test_each_lockout_is_recorded_once_and_shown_to_superusers_only(alice, bob, town_office):
    from axes.models import AccessFailureLog

    fail_until_locked(login_page)
    for _ in range(3):
        login_page("alice", "more-guesses", ATTACKER)

    row = AccessFailureLog.objects.get()
    assert (row.username, row.ip_address, row.locked_out) == ("alice", ATTACKER, True)
    assert row.path_info == "/accounts/login/"

    superuser = Client()
    superuser.force_login(bob)
    page = superuser.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200
    assert ATTACKER in page.content.decode()
    office = Client()
    office.force_login(town_office)
    assert office.get("/admin/axes/accessfailurelog/").status_code in (302, 403)


def test_token_endpoint_is_throttled_per_client(alice):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    outcomes = [api_token("alice", DEFAULT_PASSWORD, ATTACKER)[1].status_code for _ in range(rate)]
    assert outcomes == [200] * rate
    assert api_token("alice", DEFAULT_PASSWORD, ATTACKER)[1].status_code == 429
    assert api_token("alice", DEFAULT_PASSWORD, ELSEWHERE)[1].status_code == 200
