"""The S3 path of the same code: a photo stored through django-storages into an S3-compatible
server (moto's standalone server on 127.0.0.1, started here) and served to a reader by a
short-lived presigned URL; the view still checks visible_to first."""

from __future__ import annotations

import socket
import urllib.request
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence import services

from ..factories import IssueFactory
from .photos import exif_of, jpeg

pytestmark = pytest.mark.s3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, settings, monkeypatch):
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="sanbufu-evidence")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "sanbufu-evidence",
                "endpoint_url": s3_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
                "addressing_style": "path",
                "signature_version": "s3v4",
            },
        },
    }
    # FileFields hold the storage they were built with; point them at the new default.
    from evidence.models import Attachment

    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storages["default"])
    monkeypatch.setattr(Attachment._meta.get_field("thumbnail"), "storage", storages["default"])
    yield storages["default"]


def test_a_photo_is_stored_in_s3_and_served_by_a_presigned_url(
    s3_storage, s3_endpoint, client, village_cadre, other_town_office
):
    issue = IssueFactory(actor=village_cadre)
    upload = SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[upload])
    assert s3_storage.exists(added.file.name)

    client.force_login(village_cadre)
    response = client.get(reverse("evidence:file", kwargs={"pk": added.pk}))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_endpoint) and "X-Amz-Expires=60" in location
    assert urlsplit(location).path.endswith(added.file.name)
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310 (a test server)
        body = fetched.read()
    assert exif_of(body)["gps"] == {}
    assert body.startswith(b"\xff\xd8")

    # The bucket is private: the object's plain URL is refused.
    plain = f"{s3_endpoint}/sanbufu-evidence/{added.file.name}"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(plain, timeout=10)  # noqa: S310

    client.force_login(other_town_office)
    assert client.get(reverse("evidence:file", kwargs={"pk": added.pk})).status_code == 404
