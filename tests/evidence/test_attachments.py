"""Attaching evidence to issues, who may fetch it, making it public, removing it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from common.errors import NotFound, NotPermitted
from evidence import services
from evidence.models import Attachment
from issues.models import Issue, IssueEvent

from ..factories import IssueFactory
from .photos import exif_of, jpeg, png


def photo(data: bytes | None = None, name: str = "photo.jpg"):
    return SimpleUploadedFile(name, data or jpeg(), content_type="image/jpeg")


@pytest.fixture
def issue(village_cadre):
    return IssueFactory(actor=village_cadre)


def login(client, user):
    client.force_login(user)
    return client


def test_a_photo_attached_gives_the_issue_its_place_an_event_and_a_thumbnail(
    issue, village_cadre, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    issue.refresh_from_db()
    added.refresh_from_db()
    assert (str(issue.latitude), str(issue.longitude)) == ("30.010000", "120.500000")
    kinds = list(issue.events.values_list("kind", flat=True))
    assert IssueEvent.Kind.ATTACHED in kinds and IssueEvent.Kind.LOCATED in kinds
    assert added.thumbnail.name and added.width == 640
    with added.file.open("rb") as f:
        assert exif_of(f.read())["gps"] == {}
    # Made once: a second run changes nothing.
    assert services.make_attachment_thumbnail(added.pk) is False


def test_a_point_already_chosen_is_not_moved_by_a_photo(issue, village_cadre):
    from issues.services import set_issue_point

    set_issue_point(actor=village_cadre, issue=issue, latitude="29.9", longitude="120.6")
    services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    issue.refresh_from_db()
    assert str(issue.latitude) == "29.900000"


def test_the_issues_limit_of_files_holds(issue, village_cadre, settings):
    settings.SANBUFU_ATTACHMENTS_PER_ISSUE = 2
    services.add_evidence(actor=village_cadre, issue=issue, files=[photo(png(), "a.png")] * 2)
    with pytest.raises(ValidationError):
        services.add_evidence(actor=village_cadre, issue=issue, files=[photo(png(), "b.png")])
    assert Attachment.objects.live().count() == 2


def test_someone_elses_upload_cannot_be_attached(issue, village_cadre, town_office):
    upload = services.upload_attachment(actor=town_office, upload=photo())
    with pytest.raises(NotFound):
        services.attach_attachments(actor=village_cadre, issue=issue, attachments=[upload])


def test_an_issue_outside_the_jurisdiction_takes_no_photo(issue, other_town_office):
    with pytest.raises(NotFound):
        services.add_evidence(actor=other_town_office, issue=issue, files=[photo()])


def test_a_photo_of_an_issue_outside_the_jurisdiction_is_a_404_by_its_url(
    client, issue, village_cadre, other_town_office, town_office
):
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    url = reverse("evidence:file", kwargs={"pk": added.pk})
    assert login(client, town_office).get(url).status_code == 200
    client.logout()
    assert login(client, other_town_office).get(url).status_code == 404
    assert client.get(reverse("evidence:thumb", kwargs={"pk": added.pk})).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_served_photo_is_the_stripped_one(client, issue, village_cadre):
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    response = login(client, village_cadre).get(reverse("evidence:file", kwargs={"pk": added.pk}))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/jpeg"
    assert exif_of(body)["gps"] == {} and b"Phone X serial" not in body


def test_x_accel_redirect_hands_the_file_to_nginx(client, issue, village_cadre, settings):
    settings.SANBUFU_X_ACCEL_REDIRECT = "/protected-media/"
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    response = login(client, village_cadre).get(reverse("evidence:file", kwargs={"pk": added.pk}))
    assert response["X-Accel-Redirect"] == f"/protected-media/{added.file.name}"
    assert response.content == b""


def test_only_whoever_acts_on_the_issue_makes_a_photo_public_and_it_is_an_event(
    client, issue, village_cadre, town_office
):
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    public_url = reverse("evidence:public", kwargs={"token": added.token})
    assert client.get(public_url).status_code == 404
    with pytest.raises(NotPermitted):
        services.set_attachment_public(actor=town_office, attachment=added, public=True)
    services.set_attachment_public(actor=village_cadre, attachment=added, public=True)
    assert issue.events.filter(kind=IssueEvent.Kind.PHOTO_PUBLISHED).count() == 1
    assert client.get(public_url).status_code == 200


def test_removing_a_file_is_an_event_and_deletes_the_stored_file(
    issue, village_cadre, django_capture_on_commit_callbacks
):
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    storage, name = added.file.storage, added.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(actor=village_cadre, attachment=added, reason="拍错了")
    assert not storage.exists(name)
    event = issue.events.get(kind=IssueEvent.Kind.DETACHED)
    assert "拍错了" in event.note
    assert not Attachment.objects.live().exists()


def test_abandoned_uploads_are_removed_after_the_limit(village_cadre, settings, issue):
    settings.SANBUFU_ABANDONED_UPLOAD_HOURS = 24
    old = services.upload_attachment(
        actor=village_cadre, upload=photo(), now=timezone.now() - timedelta(hours=25)
    )
    recent = services.upload_attachment(actor=village_cadre, upload=photo())
    attached = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])[0]
    Attachment.objects.filter(pk=attached.pk).update(uploaded_at=timezone.now() - timedelta(days=9))
    storage, name = old.file.storage, old.file.name
    assert services.remove_abandoned_uploads() == 1
    assert services.remove_abandoned_uploads() == 0
    assert not storage.exists(name)
    assert set(Attachment.objects.values_list("pk", flat=True)) == {recent.pk, attached.pk}


def test_the_issue_page_form_adds_a_photo_and_refuses_a_fake_one(client, issue, village_cadre):
    login(client, village_cadre)
    url = reverse("evidence:add", kwargs={"issue_id": issue.pk})
    client.post(url, {"files": [photo(b"not a jpeg at all, only text", "fake.jpg")]})
    assert not Attachment.objects.exists()
    client.post(url, {"files": [photo()], "role": "before"})
    assert Issue.objects.get(pk=issue.pk).attachments.count() == 1


def test_a_file_written_by_a_rolled_back_form_is_removed_by_the_cleanup(
    village_cadre, settings, issue
):
    settings.SANBUFU_ABANDONED_UPLOAD_HOURS = 24
    kept = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        stray = services.upload_attachment(actor=village_cadre, upload=photo())
        raise RuntimeError("the form's own step failed")
    storage, name = stray.file.storage, stray.file.name
    assert storage.exists(name) and not Attachment.objects.filter(pk=stray.pk).exists()
    # Within the window a file may still be on its way to its row: it stays.
    assert services.remove_abandoned_uploads() == 0
    # (The store is the session's: earlier tests' rolled-back files go too.)
    assert services.remove_abandoned_uploads(now=timezone.now() + timedelta(hours=25)) >= 1
    assert not storage.exists(name)
    assert storage.exists(kept.file.name)


def test_a_removal_reason_over_the_limit_is_refused_not_cut(client, issue, village_cadre):
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    login(client, village_cadre)
    remove = reverse("evidence:remove", kwargs={"pk": added.pk})
    page = client.post(remove, {"reason": "因" * 201}, follow=True)
    assert "原因最多 200 个字，现有 201 个。" in page.content.decode()
    assert Attachment.objects.live().filter(pk=added.pk).exists()
