"""GET /api/v1/followups/: the offices' follow-up (回访) queue. Recording a call is
POST /api/v1/issues/{id}/followup/ (issues.api)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, viewsets

from dispatch.models import Division
from dispatch.services import jurisdiction
from issues.api import ERRORS
from issues.models import Issue
from issues.serializers import IssueSerializer

from .services import followup_queue


class FollowUpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Resolved issues whose reporter has not rated the answer FOLLOWUP_AFTER working days
    on, under the caller's offices, oldest resolution first."""

    serializer_class = IssueSerializer

    @extend_schema(
        responses={200: IssueSerializer(many=True), **ERRORS},
        parameters=[OpenApiParameter("within", str, description="A division code (subtree).")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        issues = Issue.objects.visible_to(user).filter(
            jurisdiction(user).office_q("division__code")
        )
        within = self.request.query_params.get("within")
        if within:
            if not Division.objects.filter(code=within[:12]).exists():
                raise exceptions.ValidationError({"within": [_("Unknown division code.")]})
            issues = issues.within(within)
        if not jurisdiction(user).administers:
            issues = issues.none()
        return followup_queue(issues.for_list())
