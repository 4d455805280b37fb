"""The Open311 endpoints as DRF views: the API's throttles, the path's format, and every
error (ours, a throttle, a wrong method) as the specification's error list."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.models import Division, Grid, Tier, subtree_q
from issues import services as issue_services
from issues.models import Category, Issue

from ..services import integration_for_key
from .renderers import Open311XMLRenderer, SuffixNegotiation
from .representations import grid_attribute, public_issues, service, service_request, w3c
from .serializers import (
    MAX_REQUESTS,
    JurisdictionQuery,
    RequestsQuery,
    ServiceRequestInput,
    describe,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 23, tzinfo=timezone.get_fixed_timezone(480))


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def _detail_text(detail) -> str:
    if isinstance(detail, dict):
        return describe(detail)
    if isinstance(detail, list):
        return " ".join(str(d) for d in detail)
    return str(detail)


class Open311View(APIView):
    """Public (no authentication: a key, where needed, is a posted field), throttled by the
    API's own classes and rates, so the anonymous feed is held to the anonymous API rate.
    The format is the path's suffix; `xml_root`/`xml_item` name the XML elements."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, Open311XMLRenderer]
    parser_classes = [FormParser, MultiPartParser]
    content_negotiation_class = SuffixNegotiation
    # Open311 is described by its own specification, not by the API's OpenAPI schema.
    schema = None
    xml_root = "root"
    xml_item = "item"

    def get_renderer_context(self):
        context = super().get_renderer_context()
        context["xml_root"], context["xml_item"] = self.xml_root, self.xml_item
        return context

    def handle_exception(self, exc):
        headers = {}
        if isinstance(exc, Open311Error):
            code, description = exc.code, exc.description
        elif isinstance(exc, Http404):
            code, description = 404, _("Not found.")
        elif isinstance(exc, exceptions.APIException):
            code, description = exc.status_code, _detail_text(exc.detail)
            if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
                headers["Retry-After"] = str(int(exc.wait) + 1)
        else:
            return super().handle_exception(exc)
        self.xml_root, self.xml_item = "errors", "error"
        return Response([{"code": code, "description": description}], code, headers=headers)

    def query(self, serializer_class):
        """The validated query, or a 400 naming the parameters at fault."""
        query = serializer_class(data=self.request.query_params)
        if not query.is_valid():
            raise Open311Error(400, describe(query.errors))
        return query.validated_data

    def jurisdiction_prefix(self, code: str | None) -> str | None:
        """The code prefix of a named city (its subtree); a code that is not one is a 404."""
        if code is None:
            return None
        city = Division.objects.filter(code=code, tier=Tier.CITY).first()
        if city is None:
            raise Open311Error(404, _("Unknown jurisdiction_id: %(code)s.") % {"code": code})
        return city.prefix


class DiscoveryView(Open311View):
    xml_root = xml_item = "discovery"

    def get(self, request, format=None):
        base = request.build_absolute_uri(reverse("open311:discovery", args=["json"]))
        base = base.rsplit("/", 1)[0] + "/"
        return Response(
            {
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
        )


class ServiceListView(Open311View):
    xml_root, xml_item = "services", "service"

    def get(self, request, format=None):
        self.jurisdiction_prefix(self.query(JurisdictionQuery).get("jurisdiction_id"))
        return Response([service(c) for c in Category.objects.order_by("code")])


class ServiceDefinitionView(Open311View):
    xml_root = xml_item = "service_definition"

    def get(self, request, service_code: str, format=None):
        self.jurisdiction_prefix(self.query(JurisdictionQuery).get("jurisdiction_id"))
        category = Category.objects.filter(code=service_code).first()
        if category is None:
            raise Open311Error(404, _("Unknown service_code: %(code)s.") % {"code": service_code})
        return Response({"service_code": category.code, "attributes": [grid_attribute()]})


class RequestListView(Open311View):
    """GET: the public service requests matching the query. POST: raise one, with a key."""

    xml_root, xml_item = "service_requests", "request"

    def get(self, request, format=None):
        query = self.query(RequestsQuery)
        issues = public_issues()
        prefix = self.jurisdiction_prefix(query.get("jurisdiction_id"))
        if prefix:
            issues = issues.filter(subtree_q("division__code", [prefix]))
        if "service_request_id" in query:
            # A comma list of ids overrides every other parameter.
            issues = issues.filter(pk__in=query["service_request_id"])
        else:
            if "service_code" in query:
                issues = issues.filter(category__code__in=query["service_code"])
            issues = issues.filter(
                raised_at__gte=query["start_date"], raised_at__lte=query["end_date"]
            )
            if query.get("status") == {"open"}:
                issues = issues.unresolved()
            elif query.get("status") == {"closed"}:
                issues = issues.filter(status__in=[Issue.Status.RESOLVED, Issue.Status.MERGED])
        issues = issues.order_by("-raised_at", "-id")[:MAX_REQUESTS]
        absolute = request.build_absolute_uri
        return Response([service_request(i, query["extensions"], absolute) for i in issues])

    def post(self, request, format=None):
        form = request.data
        integration = integration_for_key((form.get("api_key") or "").strip())
        if integration is None:
            raise Open311Error(403, _("A valid api_key is required to post a service request."))
        prefix = self.jurisdiction_prefix((form.get("jurisdiction_id") or "").strip() or None)
        data = ServiceRequestInput(data=form)
        if not data.is_valid():
            raise Open311Error(400, describe(data.errors))
        fields = data.validated_data
        category = Category.objects.filter(code=fields["service_code"]).first()
        if category is None:
            raise Open311Error(
                404, _("Unknown service_code: %(code)s.") % {"code": fields["service_code"]}
            )
        division = fields["division"]
        if prefix and not division.code.startswith(prefix):
            raise Open311Error(400, _("address_id lies outside jurisdiction_id."))
        if integration.division_id and not division.code.startswith(integration.division.prefix):
            raise Open311Error(403, _("This api_key may not post requests for that address."))
        grid = None
        grid_value = (form.get("attribute[grid]") or "").strip()
        if grid_value:
            grid = Grid.objects.filter(
                pk=int(grid_value) if grid_value.isdigit() and len(grid_value) <= 18 else 0,
                division=division,
            ).first()
            if grid is None:
                raise Open311Error(
                    400, _("attribute[grid] is no grid of the village at address_id.")
                )
        description = fields["description"]
        name = " ".join(filter(None, [fields.get("first_name"), fields.get("last_name")]))
        first_line = description.splitlines()[0]
        title = first_line if len(first_line) <= 60 else first_line[:59] + "…"
        try:
            issue = issue_services.raise_issue(
                actor=None,
                division=division,
                category=category,
                title=title,
                description=description,
                grid=grid,
                reporter_name=name,
                reporter_phone=fields.get("phone", ""),
                # Stored with the division that places it (a point alone is refused above).
                latitude=fields.get("lat"),
                longitude=fields.get("long"),
            )
        except ValidationError as exc:
            raise Open311Error(400, " ".join(exc.messages)) from None
        # One problem, one issue: a request like open issues of the town is raised all the
        # same (the public cannot choose among internal issues), and the offices read on its
        # timeline which ones, to merge it if it is the same problem.
        similar = [
            i.pk
            for i in Issue.objects.similar_to(
                division=division.code, category=category, title=title
            )
            if i.pk != issue.pk
        ]
        if similar:
            issue_services.comment_issue(
                actor=None,
                issue=issue,
                note=_("Open issues like this one, perhaps the same problem: %(numbers)s")
                % {"numbers": ", ".join(f"#{pk}" for pk in similar)},
            )
        answer = [{"service_request_id": str(issue.pk), "service_notice": "", "account_id": None}]
        return Response(answer, status=status.HTTP_201_CREATED)


class RequestDetailView(Open311View):
    xml_root, xml_item = "service_requests", "request"

    def get(self, request, service_request_id: str, format=None):
        query = self.query(JurisdictionQuery)
        prefix = self.jurisdiction_prefix(query.get("jurisdiction_id"))
        issues = public_issues()
        if prefix:
            issues = issues.filter(subtree_q("division__code", [prefix]))
        issue = issues.filter(pk=int(service_request_id)).first()
        if issue is None:
            raise Open311Error(
                404, _("Unknown service_request_id: %(id)s.") % {"id": service_request_id}
            )
        return Response([service_request(issue, query["extensions"], request.build_absolute_uri)])
