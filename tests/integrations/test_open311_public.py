"""What the anonymous Open311 feed tells the public, and what it refuses: only the public
description and fixed public phrases, throttled like the API, bad input a 400 in the spec's
error shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from integrations.services import create_integration
from issues import services
from issues.models import Issue, IssueEvent

from ..factories import DepartmentFactory, IssueFactory

FREE_TEXT = "内部：该户与邻居有宅基地纠纷，村干部倾向不予处理"
OFFICE_NOTE = "请水务局王科长本周内答复，勿外传"


@pytest.fixture
def issue(shaoxing, village_cadre):
    return IssueFactory(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        title="村口水管破裂",
        description=FREE_TEXT,
    )


@pytest.fixture
def key(shaoxing, issue):
    _integration, key = create_integration(name="柯桥热线", division=shaoxing.keqiao)
    return key


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def feed(client, issue, fmt="json", **params):
    return client.get(f"/open311/v2/requests/{issue.pk}.{fmt}", params)


def test_feed_never_shows_office_notes_or_the_cadres_free_text(
    client, issue, village_cadre, town_office, shaoxing
):
    services.escalate_issue(
        actor=village_cadre, issue=issue, reason="beyond_authority", note=OFFICE_NOTE
    )
    body = feed(client, issue, extensions="true").json()[0]
    assert body["status_notes"] == "已上报至镇街"
    department = DepartmentFactory(division=shaoxing.lanting, name="水务站")
    services.assign_issue(actor=town_office, issue=issue, department=department, note=OFFICE_NOTE)
    answer = feed(client, issue, extensions="true")
    body = answer.json()[0]
    assert body["status_notes"] == "已交办"
    assert body["description"] == "村口水管破裂"
    text = answer.content.decode()
    assert OFFICE_NOTE not in text and FREE_TEXT not in text
    xml = feed(client, issue, "xml").content.decode()
    assert OFFICE_NOTE not in xml and FREE_TEXT not in xml
    services.resolve_issue(actor=town_office, issue=issue, resolution="已更换主管道")
    assert feed(client, issue).json()[0]["status_notes"] == "已办结：已更换主管道"


def test_whoever_may_act_edits_the_public_description_and_the_feed_shows_it(
    client, issue, village_cadre
):
    answer = api(village_cadre).post(
        f"/api/v1/issues/{issue.pk}/publish/",
        {"public_description": "兰亭村村口供水管道破损，正在处理", "version": issue.version},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["public_description"] == "兰亭村村口供水管道破损，正在处理"
    assert feed(client, issue).json()[0]["description"] == "兰亭村村口供水管道破损，正在处理"
    event = issue.events.get(kind=IssueEvent.Kind.PUBLISHED)
    assert event.actor == village_cadre
    # Editing what the public reads is not a status: the notes still say where it stands.
    assert feed(client, issue).json()[0]["status_notes"] == "已受理"


def test_an_outsider_cannot_edit_the_public_description_and_a_viewer_is_refused(
    issue, outsider, county_office
):
    body = {"public_description": "篡改"}
    assert (
        api(outsider).post(f"/api/v1/issues/{issue.pk}/publish/", body, format="json").status_code
        == 404
    )
    # The county office sees the village's issue but does not hold it.
    assert (
        api(county_office)
        .post(f"/api/v1/issues/{issue.pk}/publish/", body, format="json")
        .status_code
        == 403
    )
    issue.refresh_from_db()
    assert issue.public_description == "村口水管破裂"
    assert not issue.events.filter(kind=IssueEvent.Kind.PUBLISHED).exists()


def test_the_issue_page_edits_the_public_description(client, issue, town_office, village_cadre):
    client.force_login(village_cadre)
    page = client.get(f"/issues/{issue.pk}/")
    assert "action-publish" in page.content.decode()
    answer = client.post(
        f"/issues/{issue.pk}/publish/",
        {"publish-version": issue.version, "publish-public_description": "村口供水抢修中"},
    )
    assert answer.status_code == 302
    issue.refresh_from_db()
    assert issue.public_description == "村口供水抢修中"
    client.force_login(town_office)
    # Outside the holder's tier the button is not offered (the town office only sees it).
    assert "action-publish" not in client.get(f"/issues/{issue.pk}/").content.decode()


def test_the_anonymous_feed_is_throttled_like_the_api(client, issue):
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"]
    allowed = int(rate.split("/")[0])
    for _ in range(allowed):
        assert client.get("/open311/v2/services.json").status_code == 200
    refused = client.get("/open311/v2/requests.xml")
    assert refused.status_code == 429
    error = ET.fromstring(refused.content)
    assert error.tag == "errors" and error.find("error/code").text == "429"
    assert client.get("/open311/v2/requests.json").json()[0]["code"] == 429


@pytest.mark.parametrize(
    "query",
    [
        "service_code=wa%00ter",
        "status=open%00",
        "jurisdiction_id=330600000000%00",
        "start_date=2026-01-01%00",
        "service_request_id=1%00",
    ],
)
def test_a_nul_byte_in_a_query_is_a_400_in_the_spec_shape(client, issue, query):
    answer = client.get(f"/open311/v2/requests.json?{query}")
    assert answer.status_code == 400
    assert answer.json()[0]["code"] == 400 and answer.json()[0]["description"]
    as_xml = client.get(f"/open311/v2/requests.xml?{query}")
    assert ET.fromstring(as_xml.content).find("error/code").text == "400"


def test_bad_query_values_are_a_400_in_the_spec_shape(client, issue):
    for query in [
        "status=pending",
        "service_request_id=1,x",
        "start_date=yesterday",
        "extensions=perhaps",
        "service_request_id=99999999999999999999999",
    ]:
        answer = client.get(f"/open311/v2/requests.json?{query}")
        assert answer.status_code == 400, query
        assert answer.json()[0]["code"] == 400


@pytest.mark.parametrize(
    "field", ["description", "first_name", "last_name", "phone", "service_code", "address_id"]
)
def test_a_nul_byte_in_a_posted_field_is_a_400_and_writes_nothing(client, issue, key, field):
    data = {
        "api_key": key,
        "service_code": "water",
        "address_id": "330603008250",
        "description": "水管破裂",
    }
    data[field] = data.get(field, "王") + "\x00"
    answer = client.post("/open311/v2/requests.json", data)
    assert answer.status_code == 400
    assert answer.json()[0]["code"] == 400
    assert Issue.objects.count() == 1


def test_a_too_long_description_is_refused_with_its_limit(client, issue, key):
    answer = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "water",
            "address_id": "330603008250",
            "description": "漏" * 100_000,
        },
    )
    assert answer.status_code == 400
    assert "5000" in answer.json()[0]["description"]
    assert Issue.objects.count() == 1


def test_a_wrong_method_is_the_spec_error_in_the_format_asked(client, issue):
    answer = client.delete(f"/open311/v2/requests/{issue.pk}.xml")
    assert answer.status_code == 405
    assert ET.fromstring(answer.content).find("error/code").text == "405"
    assert client.put("/open311/v2/services.json").json()[0]["code"] == 405


def test_a_public_description_from_a_stale_page_changes_nothing(client, issue, village_cadre):
    client.force_login(village_cadre)
    stale = issue.version
    services.set_public_description(actor=village_cadre, issue=issue, text="村口供水抢修中")
    answer = client.post(
        f"/issues/{issue.pk}/publish/",
        {"publish-version": stale, "publish-public_description": "旧页面上写的"},
        follow=True,
    )
    assert [m.level_tag for m in answer.context["messages"]] == ["error"]
    issue.refresh_from_db()
    assert issue.public_description == "村口供水抢修中"
