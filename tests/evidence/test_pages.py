"""Evidence on the pages: the diary form's issue rows, the resolve form's "after" photos, the
issue page's gallery and map links, the agenda's thumbnails, the resident's page."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dispatch.models import Posting
from evidence import services
from evidence.models import Attachment
from issues import services as issue_services
from issues.models import Issue, IssueEvent
from issues.tracking import make_token

from ..diaries.test_views import categories, entry_data  # noqa: F401 (fixture)
from ..factories import IssueFactory
from .photos import jpeg, png


def photo(name="p.jpg", data=None):
    return SimpleUploadedFile(name, data or jpeg(), content_type="image/jpeg")


def test_a_cadre_adds_a_photo_and_the_phones_place_in_the_diary_form(
    client,
    village_cadre,
    categories,  # noqa: F811
):
    client.force_login(village_cadre)
    posting = Posting.objects.get(cadre__user=village_cadre)
    row = {
        "title": "水渠干涸",
        "category": "water",
        "photos": [photo(), photo("b.png", png())],
        "latitude": "29.987654",
        "longitude": "120.456789",
    }
    answer = client.post(reverse("diaries:new"), entry_data(posting, [row]))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    issue = Issue.objects.get()
    # The phone's place was chosen: the photo's EXIF does not replace it.
    assert (str(issue.latitude), str(issue.longitude)) == ("29.987654", "120.456789")
    files = list(issue.attachments.all())
    assert len(files) == 2 and all(a.diary_entry_id for a in files)
    page = client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    assert reverse("evidence:thumb", args=[files[0].pk]) in page
    assert "geo:29.987654,120.456789" in page and "openstreetmap.org" in page


def test_a_refused_photo_in_the_diary_form_saves_nothing(client, village_cadre, categories):  # noqa: F811
    client.force_login(village_cadre)
    posting = Posting.objects.get(cadre__user=village_cadre)
    row = {"title": "水渠干涸", "category": "water", "photos": [photo("x.jpg", b"GIF89a nope")]}
    answer = client.post(reverse("diaries:new"), entry_data(posting, [row]))
    assert answer.status_code == 400
    assert "x.jpg" in answer.content.decode()
    assert not Issue.objects.exists() and not Attachment.objects.exists()


def test_resolving_with_an_after_photo_and_the_resident_sees_only_public_ones(
    client, village_cadre
):
    issue = IssueFactory(actor=village_cadre)
    [before] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    client.force_login(village_cadre)
    answer = client.post(
        reverse("issues:action", args=[issue.pk, "resolve"]),
        {"resolve-resolution": "已疏通水渠", "resolve-photos": [photo("after.png", png())]},
    )
    assert answer.status_code == 302
    after = Attachment.objects.get(role="after")
    assert after.event.kind == IssueEvent.Kind.RESOLVED
    page = client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    assert "After resolution" in page or "办结后" in page

    resident = reverse("residents:page", kwargs={"token": make_token(issue.pk)})
    client.logout()
    assert str(before.token) not in client.get(resident).content.decode()
    for a in (before, after):
        services.set_attachment_public(actor=village_cadre, attachment=a, public=True)
    shown = client.get(resident).content.decode()
    assert str(before.token) in shown and str(after.token) in shown
    assert reverse("evidence:file", args=[before.pk]) not in shown
    assert client.get(reverse("evidence:public_thumb", args=[after.token])).status_code == 200


def test_a_refused_after_photo_leaves_the_issue_unresolved(client, village_cadre):
    issue = IssueFactory(actor=village_cadre)
    client.force_login(village_cadre)
    answer = client.post(
        reverse("issues:action", args=[issue.pk, "resolve"]),
        {"resolve-resolution": "已疏通", "resolve-photos": [photo("x.jpg", b"not an image")]},
    )
    assert answer.status_code == 400
    issue.refresh_from_db()
    assert issue.status == Issue.Status.OPEN


def test_progress_photos_come_with_the_progress_note(
    client, village_cadre, town_office, departments, urban_member
):
    issue = IssueFactory(actor=village_cadre)
    issue_services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    issue_services.assign_issue(actor=town_office, issue=issue, department=departments.urban)
    client.force_login(urban_member)
    issue_services.acknowledge_issue(actor=urban_member, issue=issue)
    answer = client.post(
        reverse("issues:action", args=[issue.pk, "progress"]),
        {"progress-note": "已派人清淤", "progress-photos": [photo()]},
    )
    assert answer.status_code == 302
    [added] = Attachment.objects.all()
    assert added.role == "progress" and added.event.kind == IssueEvent.Kind.PROGRESS


def test_the_admin_issue_page_and_the_agenda_print_show_thumbnails(
    client, village_cadre, town_office
):
    from meetings.services import convene_meetings

    issue = IssueFactory(actor=village_cadre)
    [added] = services.add_evidence(actor=village_cadre, issue=issue, files=[photo()])
    thumb = reverse("evidence:thumb", args=[added.pk])
    issue_services.escalate_issue(actor=village_cadre, issue=issue, reason="beyond_authority")
    convene_meetings()
    client.force_login(town_office)
    assert thumb in client.get(f"/admin/issues/issue/{issue.pk}/change/").content.decode()
    meeting = issue.agenda_items.get().meeting
    assert thumb in client.get(reverse("meetings:print", args=[meeting.pk])).content.decode()
    assert thumb in client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
