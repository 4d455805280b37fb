"""The project's URLs plus the references the benchmarks compare against, mounted only by
the benchmark server (bench/settings.py): a bare DRF list of issues, the same table and
fields with a plain serializer and DRF's own pagination, scoped by a hand-written prefix
filter; and the hand GROUP BY statistics as an endpoint."""

from __future__ import annotations

from django.urls import path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.models import Membership
from issues.models import Issue
from sanbufu.urls import urlpatterns as project_urlpatterns

FIELDS = [
    "id",
    "title",
    "description",
    "public_description",
    "category",
    "status",
    "tier",
    "division",
    "enterprise",
    "holder",
    "department",
    "claimed_by",
    "raised_by",
    "raised_on",
    "raised_at",
    "due_at",
    "escalation_count",
    "resolved_at",
    "resolved_tier",
    "resolution",
    "rating",
    "version",
    "reporter_name",
    "reporter_phone",
    "resolved_on_spot",
    "supervised_at",
]


class PlainIssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Issue
        fields = FIELDS


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"


def prefixes(user) -> list[str] | None:
    """The user's subtrees as code prefixes (None: everything), read by hand."""
    if user.is_superuser:
        return None
    lengths = {"city": 4, "county": 6, "town": 9}
    return [
        code[: lengths[tier]]
        for code, tier in Membership.objects.filter(user=user).values_list(
            "division_id", "division__tier"
        )
    ]


class BareIssueList(generics.ListAPIView):
    serializer_class = PlainIssueSerializer
    pagination_class = Pages

    def get_queryset(self):
        qs = Issue.objects.order_by("-raised_at", "-id")
        scope = prefixes(self.request.user)
        if scope is not None:
            qs = qs.filter(division__code__startswith=scope[0])
        for name in ("status", "tier"):
            if self.request.query_params.get(name):
                qs = qs.filter(**{name: self.request.query_params[name]})
        return qs


class HandStats(APIView):
    def get(self, request):
        from bench.bench_province import hand_stats

        scope = prefixes(request.user)
        return Response(hand_stats(scope[0] if scope else ""))


urlpatterns = [
    path("bench/issues/", BareIssueList.as_view()),
    path("bench/stats/", HandStats.as_view()),
    *project_urlpatterns,
]
