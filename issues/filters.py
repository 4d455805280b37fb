"""Filters of the issue list (/api/v1/issues/): each maps to a queryset method."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from dispatch.api import CodeFilter
from dispatch.models import Tier

from .models import Issue


class IssueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Issue.Status.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    category = django_filters.CharFilter(field_name="category__code", max_length=40)
    within = CodeFilter(method="filter_within", help_text="Origin in this division's subtree.")
    holder = CodeFilter(field_name="holder_id", help_text="Held by this division now.")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="Unresolved and past the current tier's deadline."
    )
    claimable = django_filters.BooleanFilter(
        method="filter_claimable", help_text="Open at county or city tier, waiting for a leader."
    )
    raised_after = django_filters.DateFilter(
        field_name="raised_on", lookup_expr="gte", help_text="Found on or after this date."
    )
    raised_before = django_filters.DateFilter(
        field_name="raised_on", lookup_expr="lte", help_text="Found on or before this date."
    )

    class Meta:
        model = Issue
        fields = [
            "status",
            "tier",
            "category",
            "within",
            "holder",
            "overdue",
            "claimable",
            "raised_after",
            "raised_before",
        ]

    def filter_within(self, queryset, name, value):
        return queryset.within(value)

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.overdue()
        return queryset.filter(Q(status=Issue.Status.RESOLVED) | Q(due_at__gte=timezone.now()))

    def filter_claimable(self, queryset, name, value):
        claimable = queryset.claimable()
        return claimable if value else queryset.exclude(pk__in=claimable.values("pk"))
