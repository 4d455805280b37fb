"""Evidence in the REST API: multipart upload, `attachments` on the issue, the point."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.models import Attachment

from ..factories import IssueFactory
from .photos import exif_of, jpeg, pdf, png


@pytest.fixture
def issue(village_cadre):
    return IssueFactory(actor=village_cadre)


def url(issue) -> str:
    return f"/api/v1/issues/{issue.pk}/attachments/"


def test_a_photo_uploaded_as_multipart_shows_on_the_issue(client_for, issue, village_cadre):
    client = client_for(village_cadre)
    answer = client.post(
        url(issue),
        {"file": [SimpleUploadedFile("a.jpg", jpeg()), SimpleUploadedFile("b.pdf", pdf())]},
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    [photo, document] = answer.json()
    assert photo["kind"] == "image" and document["kind"] == "document"
    assert document["thumbnail_url"] is None and photo["public"] is False
    body = client.get(f"/api/v1/issues/{issue.pk}/").json()
    assert [a["id"] for a in body["attachments"]] == [photo["id"], document["id"]]
    assert set(body["attachments"][0]) == {
        "id",
        "kind",
        "role",
        "url",
        "thumbnail_url",
        "public",
        "taken_at",
    }
    assert (body["latitude"], body["longitude"]) == (30.01, 120.5)
    # The URL serves the stripped photo to whoever sees the issue.
    served = client.get(photo["url"])
    assert served.status_code == 200
    assert exif_of(b"".join(served.streaming_content))["gps"] == {}


def test_a_file_claiming_to_be_a_jpeg_but_not_is_a_clear_400(client_for, issue, village_cadre):
    fake = SimpleUploadedFile("photo.jpg", b"<html>not a photo</html>" * 10, "image/jpeg")
    answer = client_for(village_cadre).post(url(issue), {"file": [fake]}, format="multipart")
    assert answer.status_code == 400
    assert "photo.jpg: 该文件不是可识别的照片或文档" in answer.json()["file"][0]
    assert not Attachment.objects.exists()


def test_an_oversized_image_is_a_400_and_stores_nothing(client_for, issue, village_cadre, settings):
    settings.SANBUFU_ATTACHMENT_MAX_PIXELS = 50 * 50
    big = SimpleUploadedFile("big.png", png(60, 60), "image/png")
    small = SimpleUploadedFile("small.png", png(10, 10), "image/png")
    answer = client_for(village_cadre).post(url(issue), {"file": [small, big]}, format="multipart")
    assert answer.status_code == 400 and "百万像素" in answer.json()["file"][0]
    assert not Attachment.objects.exists()


def test_an_issue_outside_the_jurisdiction_is_a_404(client_for, issue, other_town_office):
    answer = client_for(other_town_office).post(
        url(issue), {"file": [SimpleUploadedFile("a.jpg", jpeg())]}, format="multipart"
    )
    assert answer.status_code == 404


def test_an_issue_is_raised_with_a_point(client_for, village_cadre, water, shaoxing):
    answer = client_for(village_cadre).post(
        "/api/v1/issues/",
        {
            "division": shaoxing.lanting_village.code,
            "category": "water",
            "title": "水渠干涸",
            "latitude": 30.0123456789,
            "longitude": 120.51,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert (answer.json()["latitude"], answer.json()["longitude"]) == (30.012346, 120.51)
    refused = client_for(village_cadre).post(
        "/api/v1/issues/",
        {
            "division": shaoxing.lanting_village.code,
            "category": "water",
            "title": "x",
            "latitude": 95,
        },
        format="json",
    )
    assert refused.status_code == 400


def test_the_list_keeps_its_query_count_with_files(
    client_for, shaoxing, water, superuser, django_assert_num_queries
):
    from evidence import services

    for i in range(6):
        issue = IssueFactory(actor=superuser, division=shaoxing.lanting_village, title=f"问题{i}")
        services.add_evidence(
            actor=superuser, issue=issue, files=[SimpleUploadedFile("a.png", png(), "image/png")]
        )
    client = client_for(superuser)
    with django_assert_num_queries(6):
        answer = client.get("/api/v1/issues/?page_size=5")
    assert all(len(i["attachments"]) == 1 for i in answer.json()["results"])


def test_a_photo_is_made_public_hidden_and_removed_through_the_api(
    client_for, issue, village_cadre, other_town_office
):
    client = client_for(village_cadre)
    [photo, document] = client.post(
        url(issue),
        {"file": [SimpleUploadedFile("a.jpg", jpeg()), SimpleUploadedFile("b.pdf", pdf())]},
        format="multipart",
    ).json()
    shown = client.post(f"/api/v1/attachments/{photo['id']}/publish/", {"public": True})
    assert shown.status_code == 200 and shown.json()["public"] is True
    assert client.get(f"/api/v1/attachments/{photo['id']}/").json()["public"] is True
    # A document never goes public; a bad body is a 400; both change nothing.
    refused = client.post(f"/api/v1/attachments/{document['id']}/publish/", {"public": True})
    assert refused.status_code == 400
    assert (
        client.post(f"/api/v1/attachments/{photo['id']}/publish/", {}, format="json").status_code
        == 400
    )
    assert Attachment.objects.filter(public=True).count() == 1
    # Outside the jurisdiction the file does not exist.
    outsider = client_for(other_town_office)
    assert outsider.get(f"/api/v1/attachments/{photo['id']}/").status_code == 404
    assert (
        outsider.post(f"/api/v1/attachments/{photo['id']}/remove/", {"reason": "x"}).status_code
        == 404
    )
    too_long = client.post(f"/api/v1/attachments/{photo['id']}/remove/", {"reason": "因" * 201})
    assert too_long.status_code == 400 and "reason" in too_long.json()
    removed = client.post(f"/api/v1/attachments/{photo['id']}/remove/", {"reason": "拍错了"})
    assert removed.status_code == 200 and removed.json()["public"] is False
    assert client.get(f"/api/v1/attachments/{photo['id']}/").status_code == 404
    assert "拍错了" in issue.events.get(kind="detached").note
    assert [a["id"] for a in client.get(f"/api/v1/issues/{issue.pk}/").json()["attachments"]] == [
        document["id"]
    ]
