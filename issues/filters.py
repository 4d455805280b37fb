"""Filters of the issue list (/api/v1/issues/): each maps to a queryset method."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dispatch.api import CodeFilter
from dispatch.models import Tier

from .models import Issue


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); absent or empty is no filter, anything else a 400. Django's own
    field reads an unknown word as "no filter", so ?overdue=maybe listed every issue."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IssueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Issue.Status.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    category = django_filters.CharFilter(field_name="category__code", max_length=40)
    within = CodeFilter(method="filter_within", help_text="Origin in this division's subtree.")
    holder = CodeFilter(field_name="holder_id", help_text="Held by this division now.")
    overdue = StrictBooleanFilter(
        method="filter_overdue", help_text="Unresolved and past the current tier's deadline."
    )
    claimable = StrictBooleanFilter(
        method="filter_claimable", help_text="Open at county or city tier, waiting for a leader."
    )
    department = django_filters.NumberFilter(
        method="filter_department", help_text="Led or co-handled by this department."
    )
    acknowledged = StrictBooleanFilter(
        method="filter_acknowledged",
        help_text="false: assigned and not yet signed for (签收) by the lead department.",
    )
    supervised = StrictBooleanFilter(
        method="filter_supervised", help_text="Unresolved with a supervision order (督办)."
    )
    mine = StrictBooleanFilter(
        method="filter_mine",
        help_text="Held by a division the caller serves, or assigned to their departments.",
    )
    raised_after = django_filters.DateFilter(
        field_name="raised_on", lookup_expr="gte", help_text="Found on or after this date."
    )
    raised_before = django_filters.DateFilter(
        field_name="raised_on", lookup_expr="lte", help_text="Found on or before this date."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Words that each match the number, the reporter's phone (whole), or part of "
        "the title, description, reporter's name or place of origin.",
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
            "department",
            "acknowledged",
            "supervised",
            "mine",
            "raised_after",
            "raised_before",
            "search",
        ]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_within(self, queryset, name, value):
        return queryset.within(value)

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.overdue()
        return queryset.exclude(pk__in=queryset.overdue().values("pk"))

    def filter_claimable(self, queryset, name, value):
        claimable = queryset.claimable()
        return claimable if value else queryset.exclude(pk__in=claimable.values("pk"))

    def filter_department(self, queryset, name, value):
        return queryset.filter(Issue.objects.department_q([int(value)]))

    def filter_acknowledged(self, queryset, name, value):
        pending = queryset.unacknowledged()
        return queryset.exclude(pk__in=pending.values("pk")) if value else pending

    def filter_supervised(self, queryset, name, value):
        supervised = queryset.supervised()
        return supervised if value else queryset.exclude(pk__in=supervised.values("pk"))

    def filter_mine(self, queryset, name, value):
        user = self.request.user if self.request is not None else None
        mine = queryset.held_by(user)
        return mine if value else queryset.exclude(pk__in=mine.values("pk"))
