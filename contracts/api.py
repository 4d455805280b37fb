"""REST endpoints of co-building: /api/v1/units/, /api/v1/contracts/ (with each step and the
statistics), /api/v1/resources/ and /api/v1/projects/ (each with resolving an issue through
it). Reads start from `visible_to`; writes call contracts.services and let their errors
through to the API's one exception handler."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from common.drf import CSVRenderer, XLSXRenderer, is_tabular
from issues.api import ERRORS, TRANSITION_ERRORS, WRITE_ERRORS
from issues.models import Issue
from issues.serializers import IssueSerializer

from . import services
from .models import Contract, Need, Offer, Project, Resource, Unit
from .selectors import stats
from .serializers import (
    AdvanceSerializer,
    ClaimNeedSerializer,
    ContractCreateSerializer,
    ContractSerializer,
    ContractStatsQuerySerializer,
    ContractStatsSerializer,
    NeedSerializer,
    OfferSerializer,
    ProjectSerializer,
    ResolveThroughSerializer,
    ResourceSerializer,
    UnitSerializer,
)


@extend_schema_view(
    list=extend_schema(responses={200: UnitSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: UnitSerializer, **ERRORS}),
)
class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Co-building units (驻区单位) in the caller's jurisdiction."""

    queryset = Unit.objects.none()
    serializer_class = UnitSerializer

    def get_queryset(self):
        return Unit.objects.visible_to(self.request.user).order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(responses={200: ContractSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ContractSerializer, **ERRORS}),
)
class ContractViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts of the communities in the caller's jurisdiction; opening one (谈约) and
    taking each next step."""

    queryset = Contract.objects.none()
    serializer_class = ContractSerializer

    def get_queryset(self):
        return (
            Contract.objects.visible_to(self.request.user)
            .select_related("unit")
            .prefetch_related("items")
            .order_by("community", "pk")
        )

    @extend_schema(
        request=ContractCreateSerializer, responses={201: ContractSerializer, **WRITE_ERRORS}
    )
    def create(self, request, *args, **kwargs):
        data = ContractCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.open_contract(actor=request.user, **data.validated_data)
        return Response(self._fresh(contract.pk), status=status.HTTP_201_CREATED)

    def _fresh(self, pk: int) -> dict:
        return ContractSerializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(
        request=AdvanceSerializer,
        responses={200: ContractSerializer, **TRANSITION_ERRORS},
        description="Take the next step (签约, 亮约, 履约, 评约); 409 when skipped or repeated.",
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        contract = self.get_object()
        data = AdvanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.advance_contract(actor=request.user, contract=contract.pk, **data.validated_data)
        return Response(self._fresh(contract.pk))

    @extend_schema(
        parameters=[
            ContractStatsQuerySerializer,
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ],
        responses={
            200: ContractStatsSerializer,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSXRenderer.media_type): OpenApiTypes.BINARY,
            400: ERRORS[400],
            401: ERRORS[401],
            404: OpenApiResponse(description="No such format."),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer, XLSXRenderer],
    )
    def stats(self, request):
        """Co-building figures of the caller's communities (and under `within`): units with
        contracts, contracts by step, resources by kind, projects by status, part-time
        committee members, needs met, issues resolved with a partner."""
        from .tables import stats_table

        query = ContractStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = stats(request.user, **query.validated_data)
        if is_tabular(request):
            return Response(stats_table(figures))
        return Response(ContractStatsSerializer(figures).data)


class _ResolveThrough:
    """`POST …/{id}/resolve/`: resolve an issue through this resource or project."""

    source = "resource"

    @extend_schema(
        request=ResolveThroughSerializer,
        responses={200: IssueSerializer, **TRANSITION_ERRORS},
        description="Resolve an issue at village or town tier through this; 400 when it "
        "does not fit the issue (another community, an unsigned contract, another kind).",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        source = self.get_object()
        data = ResolveThroughSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        issue = services.resolve_through(
            actor=request.user, issue=fields.pop("issue"), **{self.source: source}, **fields
        )
        fresh = Issue.objects.for_list().get(pk=issue.pk)
        return Response(IssueSerializer(fresh, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(responses={200: ResourceSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ResourceSerializer, **ERRORS}),
)
class ResourceViewSet(_ResolveThrough, viewsets.ReadOnlyModelViewSet):
    """Resources units bring to the caller's communities."""

    queryset = Resource.objects.none()
    serializer_class = ResourceSerializer
    source = "resource"

    def get_queryset(self):
        return Resource.objects.visible_to(self.request.user).select_related("unit").order_by("pk")


@extend_schema_view(
    list=extend_schema(responses={200: ProjectSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ProjectSerializer, **ERRORS}),
)
class ProjectViewSet(_ResolveThrough, viewsets.ReadOnlyModelViewSet):
    """Co-building projects in the caller's communities."""

    queryset = Project.objects.none()
    serializer_class = ProjectSerializer
    source = "project"

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).select_related("unit").order_by("pk")


@extend_schema_view(
    list=extend_schema(responses={200: NeedSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: NeedSerializer, **ERRORS}),
)
class NeedViewSet(viewsets.ReadOnlyModelViewSet):
    """The needs of the caller's communities (需求清单), which units take up."""

    queryset = Need.objects.none()
    serializer_class = NeedSerializer

    def get_queryset(self):
        return Need.objects.visible_to(self.request.user).order_by("-created_at", "pk")

    @extend_schema(
        request=ClaimNeedSerializer,
        responses={200: NeedSerializer, **TRANSITION_ERRORS},
        description="Record that a unit takes up the need (认领); 409 unless it is open.",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        need = self.get_object()
        data = ClaimNeedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            NeedSerializer(
                services.claim_need(actor=request.user, need=need.pk, **data.validated_data)
            ).data
        )

    @extend_schema(
        request=None,
        responses={200: NeedSerializer, **TRANSITION_ERRORS},
        description="Mark a taken-up need met; 409 unless a unit has taken it up.",
    )
    @action(detail=True, methods=["post"])
    def meet(self, request, pk=None):
        need = self.get_object()
        return Response(NeedSerializer(services.meet_need(actor=request.user, need=need.pk)).data)


@extend_schema_view(
    list=extend_schema(responses={200: OfferSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: OfferSerializer, **ERRORS}),
)
class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    """What units offer the caller's communities (服务清单), which a community takes up."""

    queryset = Offer.objects.none()
    serializer_class = OfferSerializer

    def get_queryset(self):
        return Offer.objects.visible_to(self.request.user).order_by("-created_at", "pk")

    @extend_schema(
        request=None,
        responses={200: OfferSerializer, **TRANSITION_ERRORS},
        description="The community takes up the offer; 409 unless it is open.",
    )
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        offer = self.get_object()
        return Response(
            OfferSerializer(services.take_offer(actor=request.user, offer=offer.pk)).data
        )
