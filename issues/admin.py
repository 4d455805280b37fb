"""The admin for issues and meetings, scoped to the user's jurisdiction.

Every queryset here starts from `Issue.objects.visible_to(user)` (changelist, change view,
search, autocomplete, filters, actions, exports), so for an office member an issue outside
their subtree is a 404 like anywhere else. State fields are read-only: the change form saves
nothing, and the actions call the transition services through a confirmation form.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dispatch.models import Department, Division, Tier
from dispatch.services import jurisdiction

from . import services
from .models import AgendaItem, Category, EscalationReason, Issue, IssueEvent, Meeting
from .rules import IssueError


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


class VillageFilter(admin.SimpleListFilter):
    """Origins limited to the villages of the user's jurisdiction that have issues."""

    title = _("village")
    parameter_name = "village"

    def lookups(self, request, model_admin):
        villages = (
            Division.objects.filter(jurisdiction(request.user).q("code"), tier=Tier.VILLAGE)
            .filter(issues__isnull=False)
            .distinct()
            .order_by("code")
        )
        return [(d.code, d.name) for d in villages]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(division_id=self.value())
        return queryset


class DepartmentFilter(admin.SimpleListFilter):
    title = _("department")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        departments = Department.objects.filter(
            jurisdiction(request.user).q("division__code")
        ).select_related("division")
        return [(str(d.pk), f"{d.division.name} {d.name}") for d in departments]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(department_id=self.value())
        return queryset


# Action forms -------------------------------------------------------------------------------


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.none())
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Departments of the divisions the user acts for; the service checks the holder's.
        j = jurisdiction(user)
        qs = Department.objects.select_related("division")
        if not j.is_superuser:
            qs = qs.filter(division_id__in=j.office_at | j.leader_at)
        self.fields["department"].queryset = qs
        self.fields["department"].label_from_instance = lambda d: f"{d.division.name} {d.name}"


class EscalateForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("reason"),
        choices=[(r, EscalationReason(r).label) for r in services.MANUAL_ESCALATION_REASONS],
    )
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("resolution"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
        return " ".join(exc.messages)
    return getattr(exc, "message", "") or str(exc)


# Issues -------------------------------------------------------------------------------------


class IssueEventInline(admin.TabularInline):
    """The timeline, oldest first; append-only, so nothing here is editable."""

    model = IssueEvent
    extra = 0
    can_delete = False
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
    readonly_fields = fields
    ordering = ["at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "department")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Issue)
class IssueAdmin(NotFoundOutside, admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "category",
        "division",
        "holder",
        "tier",
        "status",
        "deadline",
        "department",
        "claimed_by",
        "raised_on",
    ]
    list_display_links = ["id", "title"]
    list_filter = ["tier", "status", "category", OverdueFilter, VillageFilter, DepartmentFilter]
    search_fields = ["title", "reporter_name", "division__name", "=division__code"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [IssueEventInline]
    actions = ["assign_action", "escalate_action", "resolve_action", "export_xlsx"]
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
                    "claimed_by",
                    "arrived_at",
                    "due_at",
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

    # Actions: a confirmation form, then the service for each selected issue in one
    # transaction. One refusal rolls back the whole batch and is shown as a message.

    def _transition(self, request, queryset, form_class, title: str, apply, done: str):
        if request.POST.get("apply"):
            form = form_class(request.POST, user=request.user)
            if form.is_valid():
                refused = []
                with transaction.atomic():
                    for issue in queryset:
                        try:
                            apply(request.user, issue, form.cleaned_data)
                        except (IssueError, ValidationError) as exc:
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
        else:
            form = form_class(user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
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
            AssignForm,
            gettext("Assign to a department"),
            lambda user, issue, data: services.assign_issue(
                actor=user, issue=issue, department=data["department"], note=data["note"]
            ),
            gettext("%(count)s issue(s) assigned."),
        )

    @admin.action(description=_("Escalate one tier"), permissions=["act"])
    def escalate_action(self, request, queryset):
        return self._transition(
            request,
            queryset,
            EscalateForm,
            gettext("Escalate one tier"),
            lambda user, issue, data: services.escalate_issue(
                actor=user, issue=issue, reason=data["reason"], note=data["note"]
            ),
            gettext("%(count)s issue(s) escalated."),
        )

    @admin.action(description=_("Resolve"), permissions=["act"])
    def resolve_action(self, request, queryset):
        return self._transition(
            request,
            queryset,
            ResolveForm,
            gettext("Resolve"),
            lambda user, issue, data: services.resolve_issue(
                actor=user, issue=issue, resolution=data["resolution"]
            ),
            gettext("%(count)s issue(s) resolved."),
        )

    @admin.action(description=_("Export selected issues (Excel)"))
    def export_xlsx(self, request, queryset):
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(gettext("Issues"))
        sheet.append(
            [
                gettext("number"),
                gettext("title"),
                gettext("category"),
                gettext("origin"),
                gettext("holder"),
                gettext("tier"),
                gettext("status"),
                gettext("department"),
                gettext("found on"),
                gettext("due"),
                gettext("resolution"),
            ]
        )
        for issue in queryset.for_list().order_by("id"):
            sheet.append(
                [
                    issue.pk,
                    issue.title,
                    str(issue.category),
                    issue.division.name,
                    issue.holder.name,
                    issue.get_tier_display(),
                    issue.get_status_display(),
                    issue.department.name if issue.department else "",
                    issue.raised_on,
                    timezone.localtime(issue.due_at).replace(tzinfo=None),
                    issue.resolution,
                ]
            )
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="issues.xlsx"'
        workbook.save(response)
        return response


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "village_days",
        "town_days",
        "county_days",
        "city_days",
    ]
    search_fields = ["code", "name_zh", "name_en"]


# Meetings -----------------------------------------------------------------------------------


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    can_delete = False
    fields = ["issue", "new", "decision", "department", "note", "decided_by", "decided_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("issue", "department", "decided_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(NotFoundOutside, admin.ModelAdmin):
    """Meetings are convened, decided and closed by the services; the admin only lists them
    and links to the meeting page where the office decides."""

    list_display = ["week", "town", "status", "items_count", "page"]
    list_filter = ["status", "week"]
    search_fields = ["town__name", "=town__code", "=week"]
    readonly_fields = [
        "town",
        "week",
        "status",
        "stats",
        "minutes",
        "convened_at",
        "closed_at",
        "closed_by",
    ]
    inlines = [AgendaItemInline]

    def get_queryset(self, request):
        from django.db.models import Count

        j = jurisdiction(request.user)
        return (
            Meeting.objects.filter(j.q("town__code"))
            .select_related("town", "closed_by")
            .annotate(n_items=Count("items"))
        )

    @admin.display(description=_("agenda items"), ordering="n_items")
    def items_count(self, obj):
        return obj.n_items

    @admin.display(description=_("meeting page"))
    def page(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("issues:meeting_detail", args=[obj.pk]), gettext("open")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
