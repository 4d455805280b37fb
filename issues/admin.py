"""The admin for issues and meetings, scoped to the user's jurisdiction.

Every queryset here starts from `Issue.objects.visible_to(user)` (changelist, change view,
search, autocomplete, filters, actions, exports), so for an office member an issue outside
their subtree is a 404 like anywhere else. State fields are read-only: the change form saves
nothing, and the actions call the transition services through a confirmation form.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from common.pagination import IdsFirstPaginator
from common.tables import attachment
from dispatch.models import Department, Division, tier_of_code
from dispatch.services import jurisdiction

from .forms import PAGE_ACTIONS
from .models import Category, Extension, Issue, IssueEvent, SupervisionOrder
from .tables import issue_table


class NotFoundOutside:
    """The change, history and delete views answer 404 for an object outside the user's
    queryset (Django's own behaviour is a redirect with "perhaps it was deleted")."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No such object."))
        return obj


# Filters ------------------------------------------------------------------------------------


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


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "message", "") or str(exc)


def acting_departments(user):
    """Departments of the divisions the user acts for (the service checks the holder's)."""
    j = jurisdiction(user)
    qs = Department.objects.select_related("division").order_by("division_id", "name")
    return qs if j.is_superuser else qs.filter(division_id__in=j.office_at | j.leader_at)


# Issues -------------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    """Rows written only by the services: shown, never added, changed or deleted here.
    Subclasses set `fields` and `related` (what to load with each row)."""

    extra = 0
    can_delete = False
    related: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IssueEventInline(ReadOnlyInline):
    """The timeline, oldest first; append-only."""

    model = IssueEvent
    fk_name = "issue"
    related = ("actor", "department")
    fields = [
        "at",
        "kind",
        "tier_from",
        "tier_to",
        "actor",
        "reason",
        "note",
        "department",
        "rating",
    ]
    ordering = ["at", "id"]


class ExtensionInline(ReadOnlyInline):
    """Extension requests (延期) and their decisions."""

    model = Extension
    fk_name = "issue"
    related = ("department", "requested_by", "decided_by")
    fields = [
        "requested_at",
        "tier",
        "department",
        "requested_by",
        "days",
        "reason",
        "approved",
        "decided_by",
        "decided_at",
        "due_before",
        "due_after",
    ]


class SupervisionOrderInline(ReadOnlyInline):
    """Supervision orders (督办单) and their replies."""

    model = SupervisionOrder
    fk_name = "issue"
    related = ("department", "holder", "issued_by", "replied_by")
    fields = [
        "issued_at",
        "sequence",
        "holder",
        "department",
        "issued_by",
        "note",
        "reply_by",
        "replied_at",
        "replied_by",
        "reply",
    ]


@admin.register(Issue)
class IssueAdmin(NotFoundOutside, admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "category",
        "division",
        "grid",
        "holder",
        "tier",
        "status",
        "deadline",
        "department",
        "claimed_by",
        "raised_on",
    ]
    list_display_links = ["id", "title"]
    list_filter = [
        "tier",
        "status",
        "category",
        OverdueFilter,
        VillageFilter,
        DepartmentFilter,
        AcknowledgedFilter,
        SupervisedFilter,
    ]
    # The admin's search box is the lists' keyword search (IssueQuerySet.search): number,
    # reporter's phone (whole) and name, title, description, place.
    search_fields = ["title"]
    search_help_text = _("Number, title, description, reporter's name or phone, or place.")

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    list_per_page = 50
    # A page of a million issues: exact count up to a bound, ids first (common.pagination).
    paginator = IdsFirstPaginator
    show_full_result_count = False
    inlines = [IssueEventInline, ExtensionInline, SupervisionOrderInline]
    actions = [
        "assign_action",
        "escalate_action",
        "resolve_action",
        "supervise_action",
        "decide_extension_action",
        "export_xlsx",
    ]
    fieldsets = [
        (None, {"fields": ["title", "description", "category"]}),
        (
            _("Where and who"),
            {
                "fields": [
                    "division",
                    "enterprise",
                    "grid",
                    "posting",
                    "reporter_name",
                    "reporter_phone",
                    "raised_by",
                    "raised_on",
                    "raised_at",
                ]
            },
        ),
        (
            _("State"),
            {
                "fields": [
                    "tier",
                    "holder",
                    "peak_tier",
                    "status",
                    "department",
                    "acknowledged_at",
                    "ack_due_at",
                    "handed_back_from",
                    "arbitrated",
                    "claimed_by",
                    "arrived_at",
                    "due_at",
                    "extension_count",
                    "escalation_count",
                    "returned_from",
                    "supervised_at",
                    "resolution",
                    "resolved_at",
                    "resolved_tier",
                    "resolved_on_spot",
                    "rating",
                    "version",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return Issue.objects.visible_to(request.user).for_list()

    @property
    def media(self):
        # select2 and the admin's autocomplete script, for the division and department filters.
        widget = AutocompleteSelect(Issue._meta.get_field("division"), self.admin_site)
        return super().media + widget.media

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    @admin.display(description=_("deadline"), ordering="due_at")
    def deadline(self, obj: Issue):
        colours = {"green": "#5b9a45", "amber": "#d08c00", "red": "#ba2121"}
        state = obj.deadline_state()
        return format_html(
            '<span style="color:{}" title="{}">●</span> {}',
            colours[state],
            state,
            timezone.localtime(obj.due_at).strftime("%Y-%m-%d"),
        )

    # Issues are raised, changed and kept only through the services: no add, no raw save,
    # no delete (the timeline and the closure rate depend on every row).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return request.user.has_perm("issues.change_issue")

    def save_model(self, request, obj, form, change):  # pragma: no cover - never reached
        raise PermissionError("issues change only through issues.services")

    # Actions: the issue page's form of the transition, then its service for each selected
    # issue in one transaction. One refusal rolls back the whole batch and is shown as a message.

    def _transition(self, request, queryset, action: str, done: str, **form_kwargs):
        page_action = PAGE_ACTIONS[action]
        data = request.POST if request.POST.get("apply") else None
        form = page_action.form(data, **form_kwargs)
        if form.is_valid():
            refused = []
            with transaction.atomic():
                for issue in queryset:
                    try:
                        page_action.service(
                            actor=request.user, issue=issue, **form.service_kwargs()
                        )
                    except (DomainError, ValidationError) as exc:
                        refused.append(f"#{issue.pk} {issue.title}: {error_text(exc)}")
                if refused:
                    transaction.set_rollback(True)
            if refused:
                for line in refused:
                    self.message_user(request, line, messages.ERROR)
                self.message_user(request, gettext("Nothing was changed."), messages.WARNING)
            else:
                self.message_user(request, done % {"count": len(queryset)}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": page_action.title,
            "opts": self.model._meta,
            "form": form,
            "issues": queryset,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "index": request.POST.get("index", "0"),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/issues/issue/action_form.html", context)

    @admin.action(description=_("Assign to a department"), permissions=["act"])
    def assign_action(self, request, queryset):
        return self._transition(
            request,
            queryset,
            "assign",
            gettext("%(count)s issue(s) assigned."),
            departments=acting_departments(request.user),
        )

    @admin.action(description=_("Escalate one tier"), permissions=["act"])
    def escalate_action(self, request, queryset):
        return self._transition(
            request, queryset, "escalate", gettext("%(count)s issue(s) escalated.")
        )

    @admin.action(description=_("Resolve"), permissions=["act"])
    def resolve_action(self, request, queryset):
        return self._transition(
            request, queryset, "resolve", gettext("%(count)s issue(s) resolved.")
        )

    @admin.action(description=_("Issue a supervision order"), permissions=["act"])
    def supervise_action(self, request, queryset):
        return self._transition(
            request, queryset, "supervise", gettext("%(count)s supervision order(s) issued.")
        )

    @admin.action(description=_("Decide the pending extension requests"), permissions=["act"])
    def decide_extension_action(self, request, queryset):
        return self._transition(
            request,
            queryset,
            "decide_extension",
            gettext("%(count)s extension request(s) decided."),
        )

    @admin.action(description=_("Export selected issues (Excel)"))
    def export_xlsx(self, request, queryset):
        return attachment(issue_table(queryset.for_list().order_by("id")), "issues.xlsx")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "sort_order",
        "village_days",
        "town_days",
        "county_days",
        "city_days",
    ]
    list_editable = ["sort_order"]
    search_fields = ["code", "name_zh", "name_en"]
