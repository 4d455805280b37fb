"""A database restart: the first request after the server dropped a worker's persistent
connection answers normally instead of failing once per worker."""

from __future__ import annotations

from io import BytesIO

import psycopg2
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def get(handler: WSGIHandler, path: str, token: str) -> str:
    # The WSGI handler itself, as gunicorn calls it: unlike the test client it keeps the
    # persistent connection between requests (CONN_MAX_AGE), as a worker does.
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(),
        "wsgi.errors": BytesIO(),
    }
    statuses = []
    body = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    body.close()
    return statuses[0]


def test_request_after_the_server_dropped_the_connection_answers_200():
    token = Token.objects.create(user=UserFactory(username="integration")).key
    handler = WSGIHandler()
    assert connection.settings_dict["CONN_MAX_AGE"] > 0

    assert get(handler, "/api/v1/divisions/", token).startswith("200")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()

    # What a database restart does to every idle connection of every worker.
    params = connection.get_connection_params()
    params["dbname"] = params.pop("database", params.get("dbname"))
    other = psycopg2.connect(**params)
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    other.close()

    assert get(handler, "/api/v1/divisions/", token).startswith("200")
