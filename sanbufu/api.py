"""The REST API under /api/v1/: one router; each app registers its viewsets here."""

from __future__ import annotations

import threading

from django.urls import include, path
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from contracts.api import (
    ContractViewSet,
    NeedViewSet,
    OfferViewSet,
    ProjectViewSet,
    ResourceViewSet,
    UnitViewSet,
)
from diaries.api import DiaryEntryViewSet
from dispatch.api import (
    CadreViewSet,
    DepartmentViewSet,
    DivisionViewSet,
    EnterpriseViewSet,
    MembershipViewSet,
    PostingViewSet,
)
from evidence.api import AttachmentViewSet
from fieldwork.api import CampaignViewSet, DeploymentViewSet
from issues.api import (
    CategoryViewSet,
    IssueViewSet,
    NotificationViewSet,
    StatsView,
    TokenView,
    UnitStatsView,
)
from meetings.api import MeetingViewSet
from residents.api import FollowUpViewSet


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated once per language and version in each process and then
    served from memory. Generation takes seconds and is not thread-safe (the generator keeps
    shared state while it walks the views), so concurrent first requests wait for one
    generation instead of failing; the schema changes only with the code."""

    _lock = threading.Lock()
    _schemas: dict[tuple[str | None, str | None], dict] = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (translation.get_language(), version)
        if key not in self._schemas:
            with self._lock:
                if key not in self._schemas:
                    generator = self.generator_class(
                        urlconf=self.urlconf, api_version=version, patterns=self.patterns
                    )
                    self._schemas[key] = generator.get_schema(
                        request=request, public=self.serve_public
                    )
        filename = self._get_filename(request, version)
        return Response(
            data=self._schemas[key],
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )


router = DefaultRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("departments", DepartmentViewSet, basename="department")
router.register("cadres", CadreViewSet, basename="cadre")
router.register("postings", PostingViewSet, basename="posting")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("categories", CategoryViewSet, basename="category")
router.register("issues", IssueViewSet, basename="issue")
router.register("diaries", DiaryEntryViewSet, basename="diary")
router.register("meetings", MeetingViewSet, basename="meeting")
# Co-building: units, contracts (and their statistics), resources, projects.
router.register("units", UnitViewSet, basename="unit")
router.register("contracts", ContractViewSet, basename="contract")
router.register("resources", ResourceViewSet, basename="resource")
router.register("projects", ProjectViewSet, basename="project")
router.register("needs", NeedViewSet, basename="need")
router.register("offers", OfferViewSet, basename="offer")
router.register("followups", FollowUpViewSet, basename="followup")
router.register("notifications", NotificationViewSet, basename="notification")
# Field work: campaigns of visits and 下沉 deployments.
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("deployments", DeploymentViewSet, basename="deployment")
# Evidence: an issue's photos and documents (added through the issue).
router.register("attachments", AttachmentViewSet, basename="attachment")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("stats/", StatsView.as_view(), name="api-stats"),
    path("stats/units/", UnitStatsView.as_view(), name="api-stats-units"),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script=), not inline,
    # so the page runs under the Content-Security-Policy without 'unsafe-inline'.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
