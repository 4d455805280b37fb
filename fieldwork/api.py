"""/api/v1/campaigns/ and /api/v1/deployments/: reads start from `visible_to`, writes call
fieldwork.services, whose errors the API's exception handler maps (400, 403, 404)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.errors import NotFound
from dispatch.services import jurisdiction
from durable.idempotency import idempotent
from issues.api import ERRORS, WRITE_ERRORS

from . import services
from .models import Campaign, Deployment
from .selectors import campaign_progress
from .serializers import (
    CampaignProgressSerializer,
    CampaignSerializer,
    DeploymentCreateSerializer,
    DeploymentSerializer,
)


@extend_schema_view(
    list=extend_schema(responses={200: CampaignSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: CampaignSerializer, **ERRORS}),
    create=extend_schema(
        request=CampaignSerializer, responses={201: CampaignSerializer, **WRITE_ERRORS}
    ),
)
class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Campaigns of visits (大走访 / 大宣讲 / 大排解) over the caller's subtrees, and those their
    posts take part in; an office member over a subtree opens one there."""

    queryset = Campaign.objects.none()
    serializer_class = CampaignSerializer

    def get_queryset(self):
        return Campaign.objects.visible_to(self.request.user).order_by("-started_on", "-id")

    @idempotent
    def create(self, request, *args, **kwargs):
        data = CampaignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.open_campaign(actor=request.user, **data.validated_data)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: CampaignProgressSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Visits against the target, by town and by posting: office members over it."""
        campaign = self.get_object()
        if not jurisdiction(request.user).is_over(campaign.within_id):
            raise NotFound("No such campaign.")
        return Response(CampaignProgressSerializer(campaign_progress(campaign)).data)


@extend_schema_view(
    list=extend_schema(responses={200: DeploymentSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: DeploymentSerializer, **ERRORS}),
)
class DeploymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """下沉: an office sends cadres down to a community for a period with a task list; the
    deployments to communities in the caller's jurisdiction, with their temporary postings."""

    queryset = Deployment.objects.none()
    serializer_class = DeploymentSerializer

    def get_queryset(self):
        return (
            Deployment.objects.visible_to(self.request.user)
            .prefetch_related("postings")
            .order_by("-started_on", "-id")
        )

    @extend_schema(
        request=DeploymentCreateSerializer,
        responses={201: DeploymentSerializer, **WRITE_ERRORS},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = DeploymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deployment = services.deploy_cadres(actor=request.user, **data.validated_data)
        deployment = Deployment.objects.prefetch_related("postings").get(pk=deployment.pk)
        return Response(DeploymentSerializer(deployment).data, status=status.HTTP_201_CREATED)
