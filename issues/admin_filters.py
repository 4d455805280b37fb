"""The admin's filters of the issue list: the sidebar's (by state, place, department, work
order), "held by my unit" (本单位承办, on by default), and those the dashboard's links set
(found in a period, rated, followed up, of a grid) so that each list shows exactly the
issues a figure counts."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dispatch.models import Department, Division, Grid, tier_of_code
from dispatch.services import jurisdiction

from .models import Issue, IssueEvent
from .selectors import IN_GRID


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.overdue(now)
        if self.value() == "no":
            return queryset.exclude(pk__in=Issue.objects.overdue(now).values("pk"))
        return queryset


class AutocompleteFilter(admin.SimpleListFilter):
    """A filter by one related object chosen through the admin's autocomplete (searched
    within the user's jurisdiction by the related model's admin), not a sidebar listing every
    choice: a province has 25,547 villages and thousands of departments. Subclasses set
    `field_name` (the issue's foreign key) and `label(value, request)`."""

    template = "admin/issues/autocomplete_filter.html"
    app_label = "issues"
    model_name = "issue"
    field_name = ""

    def has_output(self) -> bool:
        return True

    def lookups(self, request, model_admin):
        return []

    def label(self, value: str, request) -> str | None:
        raise NotImplementedError

    def choices(self, changelist):
        keep = [
            (name, value)
            for name, value in changelist.get_filters_params().items()
            if name != self.parameter_name
        ]
        keep = [
            (n, v) for n, values in keep for v in (values if isinstance(values, list) else [values])
        ]
        value = self.value()
        display = self.label(value, self.request) if value else None
        # "All" as Django's own filters word it (its catalogue translates it).
        everything = next(iter(super().choices(changelist)))["display"]
        yield {
            "keep": keep,
            "value": value if display else "",
            "display": display or "",
            "all": everything,
        }

    def __init__(self, request, params, model, model_admin):
        self.request = request
        super().__init__(request, params, model, model_admin)


class VillageFilter(AutocompleteFilter):
    """Issues found within a division of the user's jurisdiction (a village, or every
    village of a town or county)."""

    title = _("origin")
    parameter_name = "village"
    field_name = "division"

    def label(self, value, request):
        found = Division.objects.visible_to(request.user).filter(code=value).first()
        return found.name if found else None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if tier_of_code(self.value()) is None:
            return queryset.none()
        return queryset.within(self.value())


class DepartmentFilter(AutocompleteFilter):
    title = _("department")
    parameter_name = "department"
    field_name = "department"

    def label(self, value, request):
        if not value.isdigit():
            return None
        found = (
            Department.objects.visible_to(request.user)
            .select_related("division")
            .filter(pk=value)
            .first()
        )
        return f"{found.division.name} {found.name}" if found else None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            return queryset.none()
        return queryset.filter(department_id=self.value())


class SupervisedFilter(admin.SimpleListFilter):
    """Issues with a supervision order (督办) at their tier: open, red or answered."""

    title = _("supervision")
    parameter_name = "supervision"

    def lookups(self, request, model_admin):
        return [
            ("open", _("awaiting a reply")),
            ("red", _("red: late or repeated")),
            ("any", _("any order")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        supervised = queryset.supervised()
        if value == "open":
            return supervised.filter(supervision__replied_at__isnull=True)
        if value == "red":
            late = Q(supervision__replied_at__gt=F("supervision__reply_by")) | Q(
                supervision__replied_at__isnull=True, supervision__reply_by__lt=timezone.now()
            )
            return supervised.filter(late | Q(supervision__sequence__gt=1))
        return supervised


class AcknowledgedFilter(admin.SimpleListFilter):
    """Assignments by whether the lead department signed for them (签收) in time."""

    title = _("signed for")
    parameter_name = "signed"

    def lookups(self, request, model_admin):
        return [("no", _("not yet")), ("late", _("not yet, past the window"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.unacknowledged()
        if self.value() == "late":
            return queryset.unacknowledged().filter(ack_due_at__lt=timezone.now())
        return queryset


class ResolvedFilter(admin.SimpleListFilter):
    title = _("resolved")
    parameter_name = "resolved"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=Issue.Status.RESOLVED)
        if self.value() == "no":
            return queryset.unresolved()
        return queryset


class LinkOnlyFilter(admin.SimpleListFilter):
    """A filter the dashboard's links set (found since a date, rated, followed up, of a
    grid), shown as a choice only while it is set, so the sidebar stays short. A value that
    makes no sense selects nothing rather than failing."""

    def has_output(self) -> bool:
        return self.value() is not None

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, self.describe(value))] if value else []

    def describe(self, value: str) -> str:
        return value


class FoundFromFilter(LinkOnlyFilter):
    title = _("found since")
    parameter_name = "found_from"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            since = datetime.date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(raised_on__gte=since)


class RatedFilter(LinkOnlyFilter):
    title = _("rated")
    parameter_name = "rated"

    def describe(self, value):
        return gettext("Yes")

    def queryset(self, request, queryset):
        return queryset.exclude(rating="") if self.value() else queryset


class FollowedUpFilter(LinkOnlyFilter):
    title = _("followed up")
    parameter_name = "followed_up"

    def describe(self, value):
        return gettext("Yes")

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        calls = IssueEvent.objects.filter(issue=OuterRef("pk"), kind=IssueEvent.Kind.FOLLOWED_UP)
        return queryset.filter(Exists(calls))


class GridFilter(LinkOnlyFilter):
    title = _("grid")
    parameter_name = "grid"

    def describe(self, value):
        if not value.isdigit():
            return value
        grids = Grid.objects.filter(jurisdiction(self.request.user).q("division__code"))
        grid = grids.filter(pk=value).select_related("division").first()
        return f"{grid.division.name} · {grid.name}" if grid else value

    def __init__(self, request, params, model, model_admin):
        self.request = request
        super().__init__(request, params, model, model_admin)

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            return queryset.none()
        return queryset.filter(grid_id=self.value())


class FoundToFilter(LinkOnlyFilter):
    title = _("found until")
    parameter_name = "found_to"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            until = datetime.date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(raised_on__lte=until)


class ResolvedWeekFilter(LinkOnlyFilter):
    """Issues resolved in the week (Asia/Shanghai) starting on the Monday given."""

    title = _("resolved in the week of")
    parameter_name = "resolved_week"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            monday = datetime.date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time()))
        end = timezone.make_aware(
            datetime.datetime.combine(monday + datetime.timedelta(weeks=1), datetime.time())
        )
        return queryset.filter(
            status=Issue.Status.RESOLVED, resolved_at__gte=start, resolved_at__lt=end
        )


class InGridFilter(LinkOnlyFilter):
    """Resolved within the grid (小事不出网格), as the grid ranking counts it."""

    title = _("resolved within the grid")
    parameter_name = "in_grid"

    def describe(self, value):
        return gettext("Yes")

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(Q(status=Issue.Status.RESOLVED) & IN_GRID)


class HeldFilter(admin.SimpleListFilter):
    """本单位承办: the issues the user's office (or leadership) holds now, the ones its bulk
    actions may act on. On by default for office members and leaders; a superuser, and any
    search, starts from everything visible."""

    title = _("holding unit")
    parameter_name = "held"
    HELD = "yes"
    ALL = "all"

    def __init__(self, request, params, model, model_admin):
        self.default = self.default_for(request)
        super().__init__(request, params, model, model_admin)

    @classmethod
    def default_for(cls, request) -> str:
        everything = jurisdiction(request.user).is_superuser or request.GET.get("q")
        return cls.ALL if everything else cls.HELD

    @classmethod
    def shows_held_only(cls, request) -> bool:
        """Whether the list shows only what the user's unit holds (a superuser holds all)."""
        if jurisdiction(request.user).is_superuser:
            return True
        return (request.GET.get(cls.parameter_name) or cls.default_for(request)) == cls.HELD

    def lookups(self, request, model_admin):
        return [(self.HELD, _("held by my unit")), (self.ALL, _("all I can see"))]

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == self.HELD:
            return queryset.actionable_by(request.user)
        return queryset
