"""The resident hears back: a message with the number and a link when the issue is raised,
the answer and a rating link when it is resolved; the page behind the link; one rating per
resolution; lookup by number and phone digits."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from issues import services
from issues.models import Issue, IssueEvent
from issues.tracking import make_token
from sms.models import TextMessage
from sms.services import opt_out

from .conftest import PHONE, messages_in

pytestmark = [pytest.mark.usefixtures("eager"), pytest.mark.django_db(transaction=True)]


def link_in(text: str) -> str:
    match = re.search(r"http://testserver(/r/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


def test_raising_and_resolving_write_the_residents_two_messages(sms_files, reported, village_cadre):
    [(phone, text)] = messages_in(sms_files)
    assert phone == PHONE
    assert f"编号{reported.pk}" in text and "/r/" in text
    assert len(text) <= 70  # one segment
    services.resolve_issue(actor=village_cadre, issue=reported, resolution="已更换水泵")
    (_p, first), (phone, second) = messages_in(sms_files)
    assert phone == PHONE and "已更换水泵" in second and "评价" in second
    assert len(second) <= 70


def test_a_long_answer_is_shortened_to_keep_one_segment(sms_files, reported, village_cadre):
    services.resolve_issue(actor=village_cadre, issue=reported, resolution="更换" * 100)
    text = messages_in(sms_files)[-1][1]
    assert len(text) <= 70 and "…" in text


def test_the_page_shows_progress_and_the_answer_never_notes_or_staff(
    client, sms_files, reported, village_cadre, town_office
):
    services.comment_issue(actor=village_cadre, issue=reported, note="内部意见：找李站长")
    services.escalate_issue(
        actor=village_cadre, issue=reported, reason="beyond_authority", note="需镇里协调"
    )
    services.resolve_issue(actor=town_office, issue=reported, resolution="镇水务站已修复")
    page = client.get(link_in(messages_in(sms_files)[-1][1]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "镇水务站已修复" in body and "自来水水压不足" in body
    assert "内部意见" not in body and "需镇里协调" not in body
    for person in (village_cadre, town_office):
        assert person.cadre.phone not in body if hasattr(person, "cadre") else True
        assert person.username not in body
    assert PHONE not in body and "王大伯" not in body


def test_resident_rates_unsatisfied_then_the_second_rating_is_refused(
    client, sms_files, reported, village_cadre, town_office
):
    services.escalate_issue(actor=village_cadre, issue=reported, reason="beyond_authority")
    services.resolve_issue(actor=town_office, issue=reported, resolution="已修复")
    url = link_in(messages_in(sms_files)[-1][1])
    answer = client.post(url, {"rating": "unsatisfied", "note": "水压还是低"})
    assert answer.status_code == 302
    issue = Issue.objects.get(pk=reported.pk)
    assert (issue.status, issue.tier, issue.rating) == ("open", "town", "unsatisfied")
    event = issue.events.get(kind=IssueEvent.Kind.FEEDBACK)
    assert (event.actor, event.reason, event.note) == (None, "resident", "水压还是低")
    again = client.post(url, {"rating": "satisfied"}, follow=True)
    assert "已评价" in again.content.decode()
    assert Issue.objects.get(pk=reported.pk).rating == "unsatisfied"
    assert issue.events.filter(kind=IssueEvent.Kind.FEEDBACK).count() == 1
    # After the redo a new resolution may be rated again.
    services.resolve_issue(actor=town_office, issue=reported, resolution="换了新管")
    page = client.get(url)
    assert 'name="rating"' in page.content.decode()
    assert client.post(url, {"rating": "satisfied"}).status_code == 302
    assert Issue.objects.get(pk=reported.pk).rating == "satisfied"
    assert client.post(url, {"rating": "unsatisfied"}).status_code == 302
    assert Issue.objects.get(pk=reported.pk).status == "resolved"


def test_a_bad_rating_is_a_form_error_and_changes_nothing(client, reported, village_cadre):
    services.resolve_issue(actor=village_cadre, issue=reported, resolution="已修复")
    url = reverse("residents:page", kwargs={"token": make_token(reported.pk)})
    answer = client.post(url, {"rating": "thrilled"})
    assert answer.status_code == 400
    assert Issue.objects.get(pk=reported.pk).rating == ""


@pytest.mark.parametrize(
    "token",
    [
        "expired",
        "tampered",
        "garbage",
        "other-issue",
    ],
)
def test_an_expired_or_tampered_link_is_a_404_that_reveals_nothing(client, reported, token):
    good = make_token(reported.pk)
    number, issued, signature = good.split(".")
    tokens = {
        "expired": make_token(reported.pk, now=time.time() - 31 * 86400),
        "tampered": f"{number}.{issued}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        "garbage": "x.y.z",
        "other-issue": f"{'1' + number}.{issued}.{signature}",
    }
    page = client.get(f"/r/{tokens[token]}/")
    assert page.status_code == 404
    assert "自来水" not in page.content.decode()
    assert client.post(f"/r/{tokens[token]}/", {"rating": "satisfied"}).status_code == 404


def test_lookup_opens_the_page_and_every_failure_answers_alike(client, reported):
    ok = client.post("/track/", {"number": reported.pk, "phone_last4": PHONE[-4:]})
    assert ok.status_code == 302 and ok["Location"].startswith("/r/")
    assert client.get(ok["Location"]).status_code == 200
    wrong_digits = client.post("/track/", {"number": reported.pk, "phone_last4": "0000"})
    unknown = client.post("/track/", {"number": reported.pk + 100, "phone_last4": PHONE[-4:]})
    malformed = client.post("/track/", {"number": "abc", "phone_last4": "12"})
    assert wrong_digits.status_code == unknown.status_code == malformed.status_code == 400

    def page(response) -> str:  # but for the form's one-time CSRF token
        return re.sub(r'value="[^"]{64}"', "", response.content.decode())

    assert page(wrong_digits) == page(unknown) == page(malformed)
    assert "没有找到" in page(unknown)


def test_lookup_is_throttled_per_client_and_per_issue(client, settings, reported):
    settings.TRACK_LIMIT_ISSUE = 3
    settings.TRACK_LIMIT_CLIENT = 5
    for _ in range(3):
        assert (
            client.post("/track/", {"number": reported.pk, "phone_last4": "0000"}).status_code
            == 400
        )
    # The right digits too are refused while the issue's allowance is spent...
    right = client.post("/track/", {"number": reported.pk, "phone_last4": PHONE[-4:]})
    assert right.status_code == 429
    # ...and from another address, since guessing is limited per issue.
    other = client.post(
        "/track/", {"number": reported.pk, "phone_last4": PHONE[-4:]}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 429
    # The client's own allowance: other numbers, from the first address.
    client.post("/track/", {"number": 999, "phone_last4": "0000"})
    assert client.post("/track/", {"number": 998, "phone_last4": "0000"}).status_code == 429


def test_an_opted_out_phone_gets_nothing(sms_files, shaoxing, village_cadre, water):
    opt_out("+86 138-1234-5678")
    issue = services.raise_issue(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        category=water,
        title="路灯不亮",
        reporter_phone=PHONE,
    )
    services.resolve_issue(actor=village_cadre, issue=issue, resolution="已修复")
    assert messages_in(sms_files) == []
    assert set(TextMessage.objects.values_list("status", flat=True)) == {"suppressed"}


def test_the_cadre_who_raised_it_cannot_rate_it(reported, village_cadre, town_office):
    from common.errors import NotPermitted

    services.resolve_issue(actor=village_cadre, issue=reported, resolution="已修复")
    with pytest.raises(NotPermitted):
        services.record_feedback(actor=village_cadre, issue=reported, rating="satisfied")
    with pytest.raises(NotPermitted):
        services.record_followup(
            actor=village_cadre, issue=reported, outcome="reached", rating="satisfied"
        )
    services.record_feedback(actor=town_office, issue=reported, rating="satisfied", via="visit")
    assert Issue.objects.get(pk=reported.pk).rating == "satisfied"
