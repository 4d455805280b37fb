"""Open311 GeoReport v2 under /open311/v2/, in JSON and XML, as the specification defines it.

Mapping: a service is an issue category (service_code = Category.code); a service request is
an issue (service_request_id = Issue.id); address_id is a village-tier division code;
jurisdiction_id a city code. Reads are public, as the standard expects of a city's 311 feed,
and carry only the public fields of an issue: never the reporter's name or phone, never
comments. A request is raised through issues.services.raise_issue with the system as actor,
and only with an integration's API key, inside the integration's territory.

Departure from the rule that issue reads start from `visible_to(user)`: an Open311 reader has
no user; the public feed deliberately shows every issue, restricted to the fields above (and
to a jurisdiction when one is named).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from xml.etree import ElementTree as ET

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dispatch.models import Division, Tier
from issues import services as issue_services
from issues.models import Category, Issue, IssueEvent

from .services import integration_for_key

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The standard's default window for GET requests without dates, and its longest span.
WINDOW = timedelta(days=90)
# Servers may cap how many requests one GET returns; the newest come first.
MAX_REQUESTS = 1000
CHANGESET = datetime(2026, 11, 23, tzinfo=timezone.get_fixed_timezone(480))


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def w3c(value: datetime | None) -> str | None:
    """2026-11-20T10:00:00+08:00: Shanghai time with its offset, as the spec's w3 format."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# Rendering ----------------------------------------------------------------------------------


def _xml_value(parent: ET.Element, name: str, value) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_value(child, key, item)
    elif isinstance(value, list):
        singular = {
            "endpoints": "endpoint",
            "formats": "format",
            "attributes": "attribute",
            "values": "value",
            "timeline": "event",
        }.get(name, "item")
        for item in value:
            _xml_value(child, singular, item)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def render(data, fmt: str, root: str, item: str, status: int = 200) -> HttpResponse:
    """JSON as the spec's arrays and objects; XML as <root><item>…</item></root>."""
    if fmt == "json":
        return JsonResponse(
            data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
        )
    top = ET.Element(root)
    for element in data if isinstance(data, list) else [data]:
        node = ET.SubElement(top, item) if isinstance(data, list) else top
        for key, value in element.items():
            _xml_value(node, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def error(fmt: str, code: int, description: str) -> HttpResponse:
    return render([{"code": code, "description": description}], fmt, "errors", "error", code)


def open311_view(func):
    """Turn Open311Error into the spec's error list, in the format asked for."""

    def wrapper(request, fmt: str, *args, **kwargs):
        try:
            return func(request, fmt, *args, **kwargs)
        except Open311Error as exc:
            return error(fmt, exc.code, exc.description)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def param(request, name: str, source=None) -> str | None:
    """A parameter, with an empty one counting as absent."""
    value = (source if source is not None else request.GET).get(name, "")
    value = value.strip()
    return value or None


def jurisdiction_prefix(request, source=None) -> str | None:
    code = param(request, "jurisdiction_id", source)
    if code is None:
        return None
    city = Division.objects.filter(code=code, tier=Tier.CITY).first()
    if city is None:
        raise Open311Error(404, _("Unknown jurisdiction_id: %(code)s.") % {"code": code})
    return city.prefix


# Representations ----------------------------------------------------------------------------


def service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": str(category),
        "description": str(category),
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }


def address(division: Division) -> str:
    names = []
    node = division
    while node is not None:
        names.append(node.name)
        node = node.parent
    return "".join(reversed(names))


def status_notes(events: list[IssueEvent]) -> str:
    """The latest public event, in words."""
    public = [e for e in events if e.is_public]
    if not public:
        return ""
    last = public[-1]
    words = last.get_kind_display()
    if last.tier_to:
        words = f"{words} ({Tier(last.tier_to).label})"
    return f"{words}: {last.note}" if last.note else words


def service_request(issue: Issue, extensions: bool) -> dict:
    events = list(issue.events.all())
    updated = max([issue.raised_at, *(e.at for e in events)])
    data = {
        "service_request_id": str(issue.pk),
        "status": "closed" if issue.is_resolved else "open",
        "status_notes": status_notes(events),
        "service_name": str(issue.category),
        "service_code": issue.category.code,
        "description": issue.description or issue.title,
        "agency_responsible": issue.holder.name,
        "service_notice": "",
        "requested_datetime": w3c(issue.raised_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(issue.due_at),
        "address": address(issue.division),
        "address_id": issue.division_id,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if extensions:
        data["extended_attributes"] = {
            "tier": issue.tier,
            "holder": issue.holder_id,
            "escalation_count": issue.escalation_count,
            "timeline": [
                {
                    "kind": e.kind,
                    "tier_from": e.tier_from or None,
                    "tier_to": e.tier_to or None,
                    "reason": e.reason or None,
                    "at": w3c(e.at),
                }
                for e in events
                if e.is_public
            ],
        }
    return data


def public_issues():
    """Every issue with what its public representation needs, in a fixed number of queries."""
    return Issue.objects.select_related(
        "category", "holder", "division__parent__parent__parent"
    ).prefetch_related(Prefetch("events", queryset=IssueEvent.objects.order_by("at", "id")))


# Views --------------------------------------------------------------------------------------


@require_GET
@open311_view
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", args=["json"]))
    base = base.rsplit("/", 1)[0] + "/"
    data = {
        "changeset": w3c(CHANGESET),
        "contact": _("The three-services office of the city (三服务办公室)."),
        "key_service": _("API keys are issued by the city's three-services office."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": w3c(CHANGESET),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt, "discovery", "discovery")


@require_GET
@open311_view
def services(request, fmt):
    jurisdiction_prefix(request)
    data = [service(c) for c in Category.objects.order_by("code")]
    return render(data, fmt, "services", "service")


@require_GET
@open311_view
def service_definition(request, fmt, service_code):
    jurisdiction_prefix(request)
    category = Category.objects.filter(code=service_code).first()
    if category is None:
        raise Open311Error(404, _("Unknown service_code: %(code)s.") % {"code": service_code})
    # No service has extra attributes (metadata is false), so the list is empty.
    data = {"service_code": category.code, "attributes": []}
    return render(data, fmt, "service_definition", "service_definition")


def _when(value: str | None, name: str, end: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is not None:
                parsed = datetime.combine(day, time.max if end else time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise Open311Error(
            400, _("%(name)s is not a w3 datetime (2010-01-01T00:00:00Z).") % {"name": name}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _list_requests(request, fmt):
    issues = public_issues()
    prefix = jurisdiction_prefix(request)
    if prefix:
        issues = issues.filter(division__code__startswith=prefix)
    extensions = param(request, "extensions") == "true"
    ids = param(request, "service_request_id")
    if ids is not None:
        # A comma list of ids overrides every other parameter.
        try:
            wanted = [int(x) for x in ids.split(",") if x.strip()]
        except ValueError:
            raise Open311Error(400, _("service_request_id is a comma list of numbers.")) from None
        issues = issues.filter(pk__in=wanted)
    else:
        codes = param(request, "service_code")
        if codes is not None:
            issues = issues.filter(category__code__in=[c.strip() for c in codes.split(",")])
        start = _when(param(request, "start_date"), "start_date")
        end = _when(param(request, "end_date"), "end_date", end=True)
        if start and end and end - start > WINDOW:
            raise Open311Error(400, _("start_date to end_date may span at most 90 days."))
        if start and end and end < start:
            raise Open311Error(400, _("end_date comes before start_date."))
        if start is None and end is None:
            start = timezone.now() - WINDOW
        elif start is None:
            start = end - WINDOW
        elif end is None:
            end = start + WINDOW
        issues = issues.filter(raised_at__gte=start)
        if end is not None:
            issues = issues.filter(raised_at__lte=end)
        statuses = param(request, "status")
        if statuses is not None:
            wanted = {s.strip() for s in statuses.split(",")}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, _("status is open, closed, or both."))
            if wanted == {"open"}:
                issues = issues.exclude(status=Issue.Status.RESOLVED)
            elif wanted == {"closed"}:
                issues = issues.filter(status=Issue.Status.RESOLVED)
    issues = issues.order_by("-raised_at", "-id")[:MAX_REQUESTS]
    data = [service_request(i, extensions) for i in issues]
    return render(data, fmt, "service_requests", "request")


def _create_request(request, fmt):
    form = request.POST
    integration = integration_for_key(param(request, "api_key", form))
    if integration is None:
        raise Open311Error(403, _("A valid api_key is required to post a service request."))
    prefix = jurisdiction_prefix(request, form)
    code = param(request, "service_code", form)
    if code is None:
        raise Open311Error(400, _("service_code is required."))
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("Unknown service_code: %(code)s.") % {"code": code})
    address_id = param(request, "address_id", form)
    if address_id is None:
        # Divisions carry no geometry here, so coordinates alone cannot name a village.
        raise Open311Error(
            400,
            _(
                "address_id (a village or community code) is required; lat/long cannot be "
                "resolved to a division."
            ),
        )
    division = Division.objects.filter(code=address_id, tier=Tier.VILLAGE).first()
    if division is None:
        raise Open311Error(
            400,
            _("address_id must be a village or community code: %(code)s.") % {"code": address_id},
        )
    if prefix and not address_id.startswith(prefix):
        raise Open311Error(400, _("address_id lies outside jurisdiction_id."))
    if integration.division_id and not address_id.startswith(integration.division.prefix):
        raise Open311Error(403, _("This api_key may not post requests for that address."))
    description = param(request, "description", form)
    if description is None:
        raise Open311Error(400, _("description is required."))
    name = " ".join(
        filter(None, [param(request, "first_name", form), param(request, "last_name", form)])
    )
    first_line = description.splitlines()[0]
    title = first_line if len(first_line) <= 60 else first_line[:59] + "…"
    try:
        issue = issue_services.raise_issue(
            actor=None,
            division=division,
            category=category,
            title=title,
            description=description,
            reporter_name=name[:50],
            reporter_phone=(param(request, "phone", form) or "")[:20],
        )
    except ValidationError as exc:
        raise Open311Error(400, " ".join(exc.messages)) from None
    data = [{"service_request_id": str(issue.pk), "service_notice": "", "account_id": None}]
    return render(data, fmt, "service_requests", "request", status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@open311_view
def requests_(request, fmt):
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


@require_GET
@open311_view
def request_detail(request, fmt, service_request_id):
    prefix = jurisdiction_prefix(request)
    issues = public_issues()
    if prefix:
        issues = issues.filter(division__code__startswith=prefix)
    issue = issues.filter(pk=service_request_id).first()
    if issue is None:
        raise Open311Error(
            404, _("Unknown service_request_id: %(id)s.") % {"id": service_request_id}
        )
    data = [service_request(issue, param(request, "extensions") == "true")]
    return render(data, fmt, "service_requests", "request")
