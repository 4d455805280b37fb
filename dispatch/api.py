"""REST endpoints of the territory and the people: /api/v1/divisions/, enterprises/,
departments/, cadres/, postings/, memberships/.

Divisions are readable by anyone signed in. The rest is office work: an office member (or a
superuser) reads and writes what lies in the subtrees of their offices; a code outside them
is answered as unknown.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .models import (
    Cadre,
    Department,
    Division,
    Enterprise,
    Membership,
    Posting,
    tier_of_code,
)
from .serializers import (
    CadreSerializer,
    CoverageSerializer,
    DepartmentSerializer,
    DivisionSerializer,
    EnterpriseSerializer,
    MembershipSerializer,
    PostingSerializer,
)
from .services import coverage, jurisdiction

ERRORS = {
    400: {"description": "Invalid input, in DRF's shape: {field: [messages]}."},
    401: {"description": "Not authenticated."},
    403: {"description": "Not an office member."},
    404: {"description": "Not in the caller's subtrees, a page past the end, or no such format."},
}


class IsOfficeMember(permissions.BasePermission):
    message = _("Only office members may do this.")

    def has_permission(self, request, view) -> bool:
        return jurisdiction(request.user).administers


def validate_code(value: str) -> str:
    if tier_of_code(value or "") is None:
        raise serializers.ValidationError(_("Enter a 12-digit division code."))
    return value


def _validate_code_filter(value: str) -> None:
    # A filter validates inside a Django form, which collects Django's ValidationError only;
    # django-filter then answers the form's errors as {"field": ["message"]}.
    if value and tier_of_code(value) is None:
        raise DjangoValidationError(_("Enter a 12-digit division code."), code="invalid")


class CodeFilter(django_filters.CharFilter):
    """A division code in a query (?within=, ?holder=, ?division=): 12 digits, else 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [_validate_code_filter])
        kwargs.setdefault("max_length", 12)
        super().__init__(*args, **kwargs)


class DivisionFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Division._meta.get_field("tier").choices)
    parent = CodeFilter(field_name="parent_id", help_text="Children of this division code.")
    within = CodeFilter(method="filter_within", help_text="The subtree of this division code.")
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, help_text="Part of the name, or a code prefix."
    )

    class Meta:
        model = Division
        fields = ["tier", "parent", "within", "search"]

    def filter_within(self, queryset, name, value):
        return queryset.within(value)

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


@extend_schema_view(
    list=extend_schema(responses={200: DivisionSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "code", str, OpenApiParameter.PATH, pattern="^[0-9]{12}$", description="12 digits."
            )
        ],
        responses={200: DivisionSerializer, **ERRORS},
    ),
)
class DivisionViewSet(viewsets.ReadOnlyModelViewSet):
    """The four-tier territory, by 12-digit code."""

    queryset = Division.objects.all()
    serializer_class = DivisionSerializer
    filterset_class = DivisionFilter
    lookup_field = "code"
    lookup_value_regex = "[0-9]{12}"


class OfficeViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [permissions.IsAuthenticated, IsOfficeMember]
    scope_lookup = "division__code"

    def get_queryset(self):
        return self.queryset.filter(jurisdiction(self.request.user).office_q(self.scope_lookup))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.user.is_authenticated:
            context["scope"] = jurisdiction(self.request.user).office_q
        return context


class DivisionCodeFilter(django_filters.FilterSet):
    division = CodeFilter(field_name="division_id")


@extend_schema_view(
    list=extend_schema(responses={200: EnterpriseSerializer(many=True), **ERRORS}),
    create=extend_schema(responses={201: EnterpriseSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: EnterpriseSerializer, **ERRORS}),
)
class EnterpriseViewSet(OfficeViewSet):
    """Enterprises in the subtrees of the caller's offices."""

    queryset = Enterprise.objects.select_related("division")
    serializer_class = EnterpriseSerializer
    filterset_class = DivisionCodeFilter


@extend_schema_view(
    list=extend_schema(responses={200: DepartmentSerializer(many=True), **ERRORS}),
    create=extend_schema(responses={201: DepartmentSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: DepartmentSerializer, **ERRORS}),
)
class DepartmentViewSet(OfficeViewSet):
    """Departments of towns, counties and cities in the caller's office subtrees."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_class = DivisionCodeFilter


@extend_schema_view(
    list=extend_schema(responses={200: CadreSerializer(many=True), **ERRORS}),
    create=extend_schema(responses={201: CadreSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: CadreSerializer, **ERRORS}),
)
class CadreViewSet(OfficeViewSet):
    """Cadres ever posted in the caller's office subtrees, and those not yet posted anywhere.
    Creating a cadre creates their login."""

    queryset = Cadre.objects.select_related("user")
    serializer_class = CadreSerializer

    def get_queryset(self):
        j = jurisdiction(self.request.user)
        posted_here = Posting.objects.filter(j.office_q("division__code"), cadre=OuterRef("pk"))
        posted_anywhere = Posting.objects.filter(cadre=OuterRef("pk"))
        return self.queryset.filter(Q(Exists(posted_here)) | ~Q(Exists(posted_anywhere)))


class PostingFilter(django_filters.FilterSet):
    division = CodeFilter(field_name="division_id")
    kind = django_filters.ChoiceFilter(choices=Posting.Kind.choices)
    active = django_filters.BooleanFilter(method="filter_active")

    class Meta:
        model = Posting
        fields = ["division", "kind", "cadre", "active"]

    def filter_active(self, queryset, name, value):
        active = Posting.objects.active().values("pk")
        return queryset.filter(pk__in=active) if value else queryset.exclude(pk__in=active)


@extend_schema_view(
    list=extend_schema(responses={200: PostingSerializer(many=True), **ERRORS}),
    create=extend_schema(responses={201: PostingSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: PostingSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: PostingSerializer, **ERRORS}),
)
class PostingViewSet(mixins.UpdateModelMixin, OfficeViewSet):
    """Postings of cadres at villages, communities and enterprises in the caller's subtrees."""

    queryset = Posting.objects.select_related("division", "enterprise", "cadre")
    serializer_class = PostingSerializer
    filterset_class = PostingFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.user.is_authenticated:
            context["cadres"] = CadreViewSet(request=self.request).get_queryset()
        return context

    @extend_schema(
        parameters=[
            OpenApiParameter("division", str, required=True, description="A division code.")
        ],
        responses={200: CoverageSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def coverage(self, request):
        """Villages and communities in a subtree, and those without an active posting."""
        code = request.query_params.get("division", "")
        try:
            validate_code(code)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"division": exc.detail}) from None
        offices = jurisdiction(request.user).office_q("code")
        division = get_object_or_404(Division.objects.filter(offices), code=code)
        return Response(CoverageSerializer(coverage(division)).data)


@extend_schema_view(
    list=extend_schema(responses={200: MembershipSerializer(many=True), **ERRORS}),
    create=extend_schema(responses={201: MembershipSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: MembershipSerializer, **ERRORS}),
)
class MembershipViewSet(OfficeViewSet):
    """Office and leader memberships. A superuser appoints anywhere; an office member
    appoints only in divisions below their own."""

    queryset = Membership.objects.select_related("user", "division")
    serializer_class = MembershipSerializer
    filterset_class = DivisionCodeFilter

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.user.is_authenticated:
            j = jurisdiction(self.request.user)
            context["divisions_below"] = j.office_q("code", strictly_below=True)
        return context
