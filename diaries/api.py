"""REST endpoints of diary entries: /api/v1/diaries/.

Writing goes through diaries.services.log_diary_entry, which raises the entry's issues
through the issues services, all or nothing; reading starts from DiaryEntry.visible_to.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from dispatch.api import CodeFilter
from dispatch.models import within_q
from durable.idempotency import idempotent
from issues.api import ERRORS, WRITE_ERRORS

from .models import DiaryEntry
from .serializers import DiaryEntryCreateSerializer, DiaryEntrySerializer
from .services import log_diary_entry


def aligned_errors(errors: dict, submitted) -> dict:
    """Report the errors of the nested issues as a list aligned with the submitted issues
    ({} for a good one), the same shape as the service's own per-issue errors."""
    nested = errors.get("issues")
    issues = submitted.get("issues") if hasattr(submitted, "get") else None
    if isinstance(nested, dict) and isinstance(issues, list):
        errors = dict(errors)
        errors["issues"] = [nested.get(i, nested.get(str(i), {})) for i in range(len(issues))]
    return errors


class DiaryFilter(django_filters.FilterSet):
    author = django_filters.CharFilter(field_name="author__username", max_length=150)
    within = CodeFilter(method="filter_within", help_text="Postings in this division's subtree.")
    since = django_filters.DateFilter(field_name="visited_on", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="visited_on", lookup_expr="lte")

    class Meta:
        model = DiaryEntry
        fields = ["author", "within", "since", "until"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(within_q("posting__division__code", value))


@extend_schema_view(
    list=extend_schema(responses={200: DiaryEntrySerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: DiaryEntrySerializer, **ERRORS}),
    create=extend_schema(
        request=DiaryEntryCreateSerializer, responses={201: DiaryEntrySerializer, **WRITE_ERRORS}
    ),
)
class DiaryEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """People's and enterprise diaries (民情日记 / 企情日记) in the caller's jurisdiction."""

    queryset = DiaryEntry.objects.none()  # for the schema; requests use get_queryset
    serializer_class = DiaryEntrySerializer
    filterset_class = DiaryFilter

    def get_queryset(self):
        return (
            DiaryEntry.objects.visible_to(self.request.user)
            .select_related("author")
            .prefetch_related("issues", "duties", "households", "enterprises")
        )

    @idempotent
    def create(self, request, *args, **kwargs):
        data = DiaryEntryCreateSerializer(data=request.data, context={"request": request})
        if not data.is_valid():
            raise ValidationError(aligned_errors(data.errors, request.data))
        entry = log_diary_entry(actor=request.user, **data.validated_data)
        entry = self.get_queryset().get(pk=entry.pk)
        return Response(DiaryEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
