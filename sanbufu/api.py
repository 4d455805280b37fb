"""The REST API under /api/v1/: one router; each app registers its viewsets here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from diaries.api import DiaryEntryViewSet
from dispatch.api import (
    CadreViewSet,
    DepartmentViewSet,
    DivisionViewSet,
    EnterpriseViewSet,
    MembershipViewSet,
    PostingViewSet,
)
from issues.api import IssueViewSet, StatsView, TokenView
from meetings.api import MeetingViewSet

router = DefaultRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("departments", DepartmentViewSet, basename="department")
router.register("cadres", CadreViewSet, basename="cadre")
router.register("postings", PostingViewSet, basename="posting")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("issues", IssueViewSet, basename="issue")
router.register("diaries", DiaryEntryViewSet, basename="diary")
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("stats/", StatsView.as_view(), name="api-stats"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
