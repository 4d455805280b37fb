"""Open311 GeoReport v2 as a standard client sees it: the published `georeport` library
reading a live server, and requests posted form-encoded as the specification describes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import requests
from django.core.management import call_command
from georeport import GeoReport

from integrations.models import Integration
from integrations.services import create_integration, hash_key
from issues import services
from issues.models import Category, Issue

from ..factories import CategoryFactory, IssueFactory

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture
def keqiao_key(transactional_db, shaoxing):
    # Only these two: the default catalogue, loaded by a migration, is there when this module
    # runs first and flushed away when a transactional test ran before it.
    Category.objects.all().delete()
    CategoryFactory(code="water", name_zh="供水", name_en="Water supply")
    CategoryFactory(code="roads", name_zh="道路", name_en="Roads")
    _integration, key = create_integration(name="柯桥热线", division=shaoxing.keqiao)
    return key


@pytest.fixture
def root(live_server):
    return f"{live_server.url}/open311/v2"


def post(root, fmt="json", **data):
    return requests.post(f"{root}/requests.{fmt}", data=data, timeout=10)


def test_services_are_the_categories_in_json_and_xml(root, keqiao_key):
    json_services = GeoReport(root, jurisdiction="330600000000").get_service_list()
    assert [s["service_code"] for s in json_services] == ["roads", "water"]
    assert set(json_services[0]) >= {"service_code", "service_name", "metadata", "type"}
    xml_services = GeoReport(root, output_format="xml").get_service_list()
    assert [s["service_code"] for s in xml_services] == ["roads", "water"]
    assert xml_services[0]["metadata"] == "true"
    definition = GeoReport(root).get_service_definition("water")
    assert definition["service_code"] == "water"
    # The one attribute: the grid of the village, optional.
    [grid] = definition["attributes"]
    assert (grid["code"], grid["datatype"], grid["required"]) == ("grid", "number", False)


def test_request_posted_with_a_key_reads_back_through_the_client_in_json_and_xml(root, keqiao_key):
    answer = post(
        root,
        api_key=keqiao_key,
        jurisdiction_id="330600000000",
        service_code="water",
        address_id="330603008250",
        description="兰亭村村口水管破裂，路面积水",
        first_name="王",
        last_name="大妈",
        phone="13812345678",
        lat="",
        long="",
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert set(created[0]) == {"service_request_id", "service_notice", "account_id"}
    request_id = created[0]["service_request_id"]
    issue = Issue.objects.get(pk=int(request_id))
    assert issue.tier == "village" and issue.raised_by is None
    assert issue.reporter_phone == "13812345678"

    as_json = GeoReport(root, jurisdiction="330600000000").get_service_request(request_id)
    assert set(as_json) == REQUEST_FIELDS
    assert as_json["status"] == "open"
    assert as_json["service_code"] == "water"
    assert as_json["address_id"] == "330603008250"
    assert as_json["agency_responsible"] == "兰亭村"
    assert as_json["requested_datetime"].endswith("+08:00")
    assert "13812345678" not in answer.text + str(as_json)

    as_xml = GeoReport(root, output_format="xml").get_service_request(request_id)
    assert as_xml["service_request_id"] == request_id
    assert as_xml["description"] == as_json["description"]
    assert as_xml["expected_datetime"] == as_json["expected_datetime"]

    listed = GeoReport(root).get_service_requests(service_request_id=f"{request_id},999999")
    assert [r["service_request_id"] for r in listed] == [request_id]


def test_status_notes_follow_the_timeline_and_extensions_add_it(root, keqiao_key, superuser):
    issue = IssueFactory(division="330603008250", category="water", title="路灯")
    services.escalate_issue(actor=superuser, issue=issue, reason="beyond_authority")
    services.resolve_issue(actor=superuser, issue=issue, resolution="已更换灯泡")
    services.comment_issue(actor=superuser, issue=issue, note="内部备注")
    body = requests.get(f"{root}/requests/{issue.pk}.json?extensions=true", timeout=10).json()[0]
    assert body["status"] == "closed"
    assert "已更换灯泡" in body["status_notes"] and "内部备注" not in str(body)
    assert body["agency_responsible"] == "兰亭街道"
    ext = body["extended_attributes"]
    assert ext["tier"] == "town" and ext["holder"] == "330603008000"
    assert ext["escalation_count"] == 1
    assert [e["kind"] for e in ext["timeline"]] == ["raised", "escalated", "resolved"]
    xml = ET.fromstring(requests.get(f"{root}/requests/{issue.pk}.xml?extensions=true").content)
    kinds = [e.text for e in xml.findall("request/extended_attributes/timeline/event/kind")]
    assert kinds == ["raised", "escalated", "resolved"]


def test_request_filters(root, keqiao_key):
    water = IssueFactory(division="330603008250", category="water", title="水")
    roads = IssueFactory(division="330603008250", category="roads", title="路")
    services.resolve_issue(actor=None, issue=roads, resolution="修好")
    client = GeoReport(root)
    assert [r["service_request_id"] for r in client.get_service_requests(status="open")] == [
        str(water.pk)
    ]
    assert [r["service_request_id"] for r in client.get_service_requests(service_code="roads")] == [
        str(roads.pk)
    ]
    assert (
        client.get_service_requests(
            start_date="2001-01-01T00:00:00Z", end_date="2001-02-01T00:00:00Z"
        )
        == []
    )
    wide = requests.get(f"{root}/requests.json?start_date=2001-01-01&end_date=2002-01-01")
    assert wide.status_code == 400
    assert set(wide.json()[0]) == {"code", "description"}
    empty = requests.get(f"{root}/requests.json?service_code=&status=&start_date=")
    assert empty.status_code == 200 and len(empty.json()) == 2


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"api_key": None}, 403),
        ({"api_key": "sbf_wrong"}, 403),
        ({"service_code": "nope"}, 404),
        ({"jurisdiction_id": "330100000000"}, 404),
        ({"address_id": "", "lat": "30.0", "long": "120.5"}, 400),
        ({"address_id": "330603008000"}, 400),
        ({"address_id": "330602002045"}, 403),
        ({"description": ""}, 400),
        ({"service_code": ""}, 400),
        ({"attribute[grid]": "424242"}, 400),
        ({"attribute[grid]": "not a number"}, 400),
        ({"attribute[grid]": "9" * 40}, 400),
    ],
)
def test_bad_posts_answer_the_spec_error_list_and_write_nothing(root, keqiao_key, data, code):
    body = {
        "api_key": keqiao_key,
        "service_code": "water",
        "address_id": "330603008250",
        "description": "水管破裂",
        **data,
    }
    body = {k: v for k, v in body.items() if v is not None}
    answer = post(root, **body)
    assert answer.status_code == code
    assert answer.json()[0]["code"] == code and answer.json()[0]["description"]
    as_xml = post(root, "xml", **body)
    error = ET.fromstring(as_xml.content)
    assert error.tag == "errors" and error.find("error/code").text == str(code)
    assert Issue.objects.count() == 0


def test_a_request_posted_with_its_grid_is_raised_in_that_grid(root, keqiao_key, shaoxing):
    from dispatch.models import Grid

    grid = Grid.objects.create(name="第一网格", division=shaoxing.lanting_village)
    other = Grid.objects.create(name="谢家坞网格", division=shaoxing.xiejiawu)
    body = {
        "api_key": keqiao_key,
        "service_code": "water",
        "address_id": "330603008250",
        "description": "水管破裂",
    }
    answer = post(root, **body, **{"attribute[grid]": str(grid.pk)})
    assert answer.status_code == 201
    assert Issue.objects.get(pk=answer.json()[0]["service_request_id"]).grid == grid
    # A grid of another village is refused.
    assert post(root, **body, **{"attribute[grid]": str(other.pk)}).status_code == 400
    assert Issue.objects.count() == 1


def test_unknown_request_service_and_jurisdiction_are_404(root, keqiao_key):
    assert requests.get(f"{root}/requests/424242.json").status_code == 404
    assert requests.get(f"{root}/services/nope.xml").status_code == 404
    answer = requests.get(f"{root}/services.json?jurisdiction_id=330100000000")
    assert answer.status_code == 404 and answer.json()[0]["code"] == 404


def test_discovery_names_the_endpoint_and_formats(root, keqiao_key):
    body = requests.get(f"{root}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    xml = ET.fromstring(requests.get(f"{root}/discovery.xml").content)
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_create_api_key_prints_the_key_once_and_stores_only_its_hash(shaoxing, capsys):
    call_command("create_api_key", "省级看板", "--within", "330603000000")
    key = capsys.readouterr().out.strip()
    integration = Integration.objects.get(name="省级看板")
    assert integration.key_hash == hash_key(key) and key not in integration.key_hash
    assert integration.key_prefix == key[:12]
    assert integration.division_id == "330603000000"


def test_admin_add_form_shows_the_new_key_once(client, superuser):
    client.force_login(superuser)
    answer = client.post(
        "/admin/integrations/integration/add/",
        {
            "name": "省级看板",
            "active": "on",
            "subscriptions-TOTAL_FORMS": "0",
            "subscriptions-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert answer.status_code == 200
    shown = [str(m) for m in answer.context["messages"]]
    key = next(re.search(r"sbf_[-\w]+", m).group() for m in shown if "sbf_" in m)
    integration = Integration.objects.get(name="省级看板")
    assert integration.key_hash == hash_key(key)
    again = client.get(f"/admin/integrations/integration/{integration.pk}/change/")
    assert key not in again.content.decode()


def test_a_request_like_an_open_issue_is_raised_and_its_timeline_names_that_one(
    root, keqiao_key, shaoxing
):
    known = IssueFactory(
        division=shaoxing.xiejiawu, category=CategoryFactory(code="water"), title="村口水管破裂"
    )
    answer = post(
        root,
        api_key=keqiao_key,
        service_code="water",
        address_id="330603008250",
        description="村口水管破裂，路面积水",
    )
    assert answer.status_code == 201, answer.text
    issue = Issue.objects.get(pk=int(answer.json()[0]["service_request_id"]))
    [note] = issue.events.filter(kind="commented").values_list("note", flat=True)
    assert f"#{known.pk}" in note


def test_lat_long_and_the_public_photo_read_back_through_the_client(
    root, keqiao_key, superuser, village_cadre
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evidence import services as evidence_services

    from ..evidence.photos import exif_of, jpeg, png

    answer = post(
        root,
        api_key=keqiao_key,
        service_code="water",
        address_id="330603008250",
        description="兰亭村水渠干涸",
        lat="30.0123456",
        long="120.5",
    )
    assert answer.status_code == 201, answer.text
    request_id = answer.json()[0]["service_request_id"]
    client = GeoReport(root, jurisdiction="330600000000")
    before = client.get_service_request(request_id)
    assert (before["lat"], before["long"], before["media_url"]) == (30.012346, 120.5, None)

    private, public = evidence_services.add_evidence(
        actor=village_cadre,
        issue=int(request_id),
        files=[
            SimpleUploadedFile("a.png", png(), "image/png"),
            SimpleUploadedFile("b.jpg", jpeg(), "image/jpeg"),
        ],
    )
    # Only a photo marked public is named; the other stays private.
    assert client.get_service_request(request_id)["media_url"] is None
    evidence_services.set_attachment_public(actor=village_cadre, attachment=public, public=True)
    after = client.get_service_request(request_id)
    assert after["media_url"].endswith(f"/evidence/p/{public.token}/")
    # The point came with the request; the photo's EXIF does not move it.
    assert (after["lat"], after["long"]) == (30.012346, 120.5)
    photo = requests.get(after["media_url"], timeout=10)
    assert photo.status_code == 200 and exif_of(photo.content)["gps"] == {}
    as_xml = GeoReport(root, output_format="xml").get_service_request(request_id)
    assert as_xml["media_url"] == after["media_url"] and as_xml["lat"] == "30.012346"
    assert str(private.token) not in requests.get(f"{root}/requests.json", timeout=10).text


def test_a_point_without_a_division_is_still_refused(root, keqiao_key):
    answer = post(
        root, api_key=keqiao_key, service_code="water", description="x", lat="30", long="120"
    )
    assert answer.status_code == 400 and "address_id" in answer.text
