"""The OpenAPI schema is valid, and every operation, fed examples generated from it, answers
without a server error and as the schema says (schemathesis, bounded and derandomized)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from issues import services

from ..factories import CategoryFactory, DepartmentFactory, IssueFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_swagger_ui_is_served_from_the_sidecar(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"swagger-ui" in page.content and b"cdn" not in page.content.lower()


@pytest.fixture
def keep_connection():
    """Serve WSGI calls in the test's own transaction, as django's test client does: the
    handler must not close the connection at the end of each request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, keep_connection, shaoxing, village_cadre, town_office, superuser):
    """A little of everything, so that generated ids sometimes hit real rows."""
    CategoryFactory(code="water")
    DepartmentFactory(name="水务站", division=shaoxing.lanting)
    first = IssueFactory(actor=village_cadre, division=shaoxing.lanting_village, category="water")
    services.escalate_issue(actor=village_cadre, issue=first, reason="beyond_authority")
    IssueFactory(actor=village_cadre, division=shaoxing.lanting_village, category="water")
    return {"superuser": superuser, "cadre": village_cadre}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.parametrize("persona", ["superuser", "cadre"])
def test_every_operation_keeps_to_the_schema(case, persona, world):
    call_as(case, world[persona])


def call_as(case, user) -> None:
    token, _ = Token.objects.get_or_create(user=user)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)


# The writes that matter most, at a higher example count: every issue and diary operation.
issues_and_diaries = schema.include(path_regex=r"^/api/v1/(issues|diaries)/")


@pytest.mark.slow
@issues_and_diaries.parametrize()
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.parametrize("persona", ["superuser", "cadre"])
def test_issue_and_diary_operations_keep_to_the_schema_at_length(case, persona, world):
    call_as(case, world[persona])
