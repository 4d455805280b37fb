"""Shared test setup: settings for speed, optional services, and persona fixtures.

Sections: settings, services (postgres/redis/browser/s3 markers and SANBUFU_REQUIRE), tasks
and queries, territory, personas. Keep new fixtures in the section they belong to.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import Division, Membership, Posting

from .factories import (
    CadreFactory,
    DepartmentFactory,
    DepartmentMembershipFactory,
    EnterpriseFactory,
    EnterprisePostingFactory,
    MembershipFactory,
    PostingFactory,
    UserFactory,
    division,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


def pytest_configure(config):
    # Set here rather than in a fixture so session-scoped fixtures and the Celery app, which
    # reads its configuration once, see the same values as every test.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Webhook receivers in tests listen on 127.0.0.1; retries wait 1 s, then 2 s, ... exactly.
    # Set before integrations.tasks is imported, which reads them into its retry policy.
    settings.SANBUFU_WEBHOOK_ALLOW_LOOPBACK = True
    settings.SANBUFU_WEBHOOK_BACKOFF = 1
    settings.SANBUFU_WEBHOOK_RETRY_JITTER = False
    settings.SANBUFU_WEBHOOK_MAX_RETRIES = 4
    # Tests run with DEBUG off, as production does, but over plain HTTP: the test client and
    # the live server for browser tests must not be redirected to HTTPS or lose their cookies,
    # and pages render without a collectstatic manifest.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Uploaded evidence of a run goes to a scratch directory, never the var directory.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="sanbufu-media-")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.MEDIA_ROOT},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Memory, emptied before each test (below): login failures and throttle counts of one test
    # or one run must not lock out the next.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


# ---------------------------------------------------------------------------------------------
# Services: tests marked postgres, redis or browser skip when the service is missing, and
# fail instead when SANBUFU_REQUIRE names it (CI sets it, so nothing is skipped silently).
# ---------------------------------------------------------------------------------------------

SERVICES = ("postgres", "redis", "browser", "s3")
CHROMIUM = os.environ.get("SANBUFU_CHROMIUM", "/usr/bin/chromium")


def required_services() -> set[str]:
    names = {n.strip() for n in os.environ.get("SANBUFU_REQUIRE", "").split(",") if n.strip()}
    unknown = names - set(SERVICES)
    if unknown:
        raise pytest.UsageError(
            f"SANBUFU_REQUIRE names unknown services {sorted(unknown)}; known: {SERVICES}"
        )
    return names


def redis_test_url() -> str:
    return (
        os.environ.get("SANBUFU_TEST_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or "redis://127.0.0.1:6379/15"
    )


@cache
def missing(service: str) -> str | None:
    """Why `service` is unavailable, or None when it is there. Checked once per session."""
    if service == "postgres":
        from django.conf import settings

        if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
            return "needs PostgreSQL (set DATABASE_URL)"
        return None
    if service == "redis":
        import redis

        url = redis_test_url()
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        except (redis.RedisError, OSError, ValueError) as exc:
            return f"needs Redis at {url} ({exc.__class__.__name__})"
        return None
    if service == "browser":
        if not os.access(CHROMIUM, os.X_OK):
            return f"needs Chromium at {CHROMIUM}"
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            return "needs the playwright package"
        return None
    if service == "s3":
        # moto's standalone server speaks the S3 protocol on 127.0.0.1 (tests/evidence).
        try:
            import boto3  # noqa: F401
            import moto.server  # noqa: F401
            import storages.backends.s3  # noqa: F401
        except ImportError as exc:
            return f"needs moto[server], boto3 and django-storages ({exc.name} is missing)"
        return None
    raise ValueError(service)


def pytest_report_header(config):
    required = required_services()
    state = ", ".join(
        f"{s}={'yes' if missing(s) is None else 'no'}{' (required)' if s in required else ''}"
        for s in SERVICES
    )
    return f"sanbufu services: {state}"


def pytest_sessionstart(session):
    # A required service that is missing fails the run at once, even if no test is marked
    # for it: a CI run meant for PostgreSQL must not pass quietly on SQLite.
    for service in sorted(required_services()):
        reason = missing(service)
        if reason:
            raise pytest.UsageError(f"SANBUFU_REQUIRE={service}: {reason}")


def pytest_runtest_setup(item):
    required = required_services()
    for service in SERVICES:
        if item.get_closest_marker(service) is None:
            continue
        reason = missing(service)
        if reason is None:
            continue
        if service in required:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """The Redis URL for tests marked `redis` (SANBUFU_TEST_REDIS_URL, REDIS_URL, or db 15)."""
    return redis_test_url()


@pytest.fixture
def chromium_path() -> str:
    return CHROMIUM


@pytest.fixture
def artifacts_dir() -> Path:
    """Where browser tests save screenshots; CI keeps this directory."""
    path = Path(os.environ.get("SANBUFU_ARTIFACTS", BASE_DIR / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------------------------
# Tasks and queries
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def eager() -> Iterator[None]:
    """Run Celery tasks in-process for one test, so their effects (mail in django's outbox,
    rows) are there when the request or service returns."""
    from sanbufu.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


class QueryBudget:
    """A page's query count measured on little data, then held on more: the number of queries
    must not grow with the number of rows shown (no N+1).

        with query_budget.measure():
            client.get(url)          # after one warming request
        ...create more rows...
        with query_budget.same():    # or .at_most()
            client.get(url)
    """

    def __init__(self, assert_num, assert_max):
        self._assert_num = assert_num
        self._assert_max = assert_max
        self.count: int | None = None

    @contextmanager
    def measure(self) -> Iterator[CaptureQueriesContext]:
        with CaptureQueriesContext(connection) as queries:
            yield queries
        self.count = len(queries.captured_queries)

    def same(self) -> AbstractContextManager:
        """Exactly as many queries as measured."""
        return self._assert_num(self._measured())

    def at_most(self) -> AbstractContextManager:
        """No more queries than measured."""
        return self._assert_max(self._measured())

    def _measured(self) -> int:
        assert self.count is not None, "measure() the small case first"
        return self.count


@pytest.fixture
def query_budget(django_assert_num_queries, django_assert_max_num_queries) -> QueryBudget:
    return QueryBudget(django_assert_num_queries, django_assert_max_num_queries)


# ---------------------------------------------------------------------------------------------
# Territory
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shaoxing:
    """A small slice of the real tree of 绍兴市."""

    city: Division  # 330600000000 绍兴市
    yuecheng: Division  # 330602000000 越城区
    keqiao: Division  # 330603000000 柯桥区
    fushan: Division  # 330602002000 府山街道
    lanting: Division  # 330603008000 兰亭街道
    shusheng: Division  # 330602002045 书圣故里社区
    yuedu: Division  # 330602002001 越都社区
    lanting_village: Division  # 330603008250 兰亭村
    xiejiawu: Division  # 330603008258 谢家坞村


@pytest.fixture
def shaoxing(db) -> Shaoxing:
    return Shaoxing(
        city=division("330600000000"),
        yuecheng=division("330602000000"),
        keqiao=division("330603000000"),
        fushan=division("330602002000"),
        lanting=division("330603008000"),
        shusheng=division("330602002045"),
        yuedu=division("330602002001"),
        lanting_village=division("330603008250"),
        xiejiawu=division("330603008258"),
    )


# ---------------------------------------------------------------------------------------------
# Personas: one login per role, named after the fixture. Password: factories.DEFAULT_PASSWORD.
# ---------------------------------------------------------------------------------------------


def _cadre(username: str, name: str, **posting):
    cadre = CadreFactory(user=UserFactory(username=username), name=name)
    factory = EnterprisePostingFactory if posting.get("kind") == "enterprise" else PostingFactory
    factory(cadre=cadre, **posting)
    return cadre.user


def _member(username: str, division: Division, role: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, division=division, role=role)
    return user


@pytest.fixture
def village_cadre(shaoxing):
    return _cadre(
        "village_cadre",
        "演示驻村指导员",
        kind=Posting.Kind.VILLAGE,
        division=shaoxing.lanting_village,
    )


@pytest.fixture
def community_cadre(shaoxing):
    return _cadre(
        "community_cadre", "演示驻社干部", kind=Posting.Kind.COMMUNITY, division=shaoxing.shusheng
    )


@pytest.fixture
def enterprise(shaoxing):
    """A textile firm in 谢家坞村 making medical protective clothing."""
    return EnterpriseFactory(name="演示医用防护服纺织有限公司", division=shaoxing.xiejiawu)


@pytest.fixture
def enterprise_cadre(enterprise):
    return _cadre(
        "enterprise_cadre", "演示驻企服务员", kind=Posting.Kind.ENTERPRISE, enterprise=enterprise
    )


@pytest.fixture
def liaison(shaoxing):
    return _cadre("liaison", "演示民情联络员", kind=Posting.Kind.LIAISON, division=shaoxing.yuedu)


@pytest.fixture
def town_office(shaoxing):
    return _member("town_office", shaoxing.lanting, Membership.Role.OFFICE)


@pytest.fixture
def other_town_office(shaoxing):
    return _member("other_town_office", shaoxing.fushan, Membership.Role.OFFICE)


@pytest.fixture
def county_office(shaoxing):
    return _member("county_office", shaoxing.keqiao, Membership.Role.OFFICE)


@pytest.fixture
def county_leader(shaoxing):
    return _member("county_leader", shaoxing.keqiao, Membership.Role.LEADER)


@pytest.fixture
def second_county_leader(shaoxing):
    return _member("second_county_leader", shaoxing.keqiao, Membership.Role.LEADER)


@pytest.fixture
def city_office(shaoxing):
    return _member("city_office", shaoxing.city, Membership.Role.OFFICE)


@pytest.fixture
def city_leader(shaoxing):
    return _member("city_leader", shaoxing.city, Membership.Role.LEADER)


@dataclass(frozen=True)
class Departments:
    """Departments of 兰亭街道 (a town) and 柯桥区 (a county)."""

    social: object  # 兰亭街道 社会事务办公室
    urban: object  # 兰亭街道 城建办
    safety: object  # 兰亭街道 平安办
    transport: object  # 柯桥区 交通运输局


@pytest.fixture
def departments(shaoxing) -> Departments:
    return Departments(
        social=DepartmentFactory(name="社会事务办公室", division=shaoxing.lanting),
        urban=DepartmentFactory(name="城建办", division=shaoxing.lanting),
        safety=DepartmentFactory(name="平安办", division=shaoxing.lanting),
        transport=DepartmentFactory(name="交通运输局", division=shaoxing.keqiao),
    )


def _department_member(username: str, department):
    user = UserFactory(username=username)
    DepartmentMembershipFactory(user=user, department=department)
    return user


@pytest.fixture
def social_member(departments):
    """A member of 兰亭街道 社会事务办公室."""
    return _department_member("social_member", departments.social)


@pytest.fixture
def urban_member(departments):
    """A member of 兰亭街道 城建办."""
    return _department_member("urban_member", departments.urban)


@pytest.fixture
def safety_member(departments):
    """A member of 兰亭街道 平安办."""
    return _department_member("safety_member", departments.safety)


@pytest.fixture
def transport_member(departments):
    """A member of 柯桥区 交通运输局."""
    return _department_member("transport_member", departments.transport)


@pytest.fixture
def superuser(db):
    return UserFactory(username="superuser", is_superuser=True, is_staff=True)


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")
