"""Admin for the territory and the people. Division foreign keys use autocomplete: a
province has tens of thousands of divisions, too many for a select box."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .models import Cadre, Department, Division, Enterprise, Grid, Membership, Posting
from .services import jurisdiction


class ScopedAdmin(admin.ModelAdmin):
    """Rows whose `scope_field` (a division code) lies outside the user's jurisdiction do not
    exist for them: not in lists, search or autocomplete, and a 404 in the change view."""

    scope_field = "division__code"
    # True when scope_field crosses a many-valued relation (a cadre's postings).
    scope_distinct = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        scoped = qs.filter(jurisdiction(request.user).q(self.scope_field))
        return scoped.distinct() if self.scope_distinct else scoped

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


@admin.register(Division)
class DivisionAdmin(ScopedAdmin):
    scope_field = "code"
    list_display = ["code", "name", "tier", "parent"]
    list_filter = ["tier"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    show_full_result_count = False


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    list_display = ["name", "credit_code", "division"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["division"]
    list_select_related = ["division"]


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ["name", "division", "party_branch"]
    search_fields = ["name", "division__name", "party_branch"]
    autocomplete_fields = ["division"]
    list_select_related = ["division"]


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "division"]
    list_filter = ["division__tier"]
    search_fields = ["name", "division__name"]
    autocomplete_fields = ["division"]
    list_select_related = ["division"]


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    fields = ["kind", "division", "enterprise", "started_on", "ended_on", "duties"]
    autocomplete_fields = ["division", "enterprise"]


@admin.register(Cadre)
class CadreAdmin(ScopedAdmin):
    scope_field = "postings__division__code"
    scope_distinct = True
    list_display = ["name", "user", "phone", "agency"]
    search_fields = ["name", "user__username", "phone", "agency"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]
    inlines = [PostingInline]


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        active = Posting.objects.active().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=active)
        if self.value() == "no":
            return queryset.exclude(pk__in=active)
        return queryset


@admin.register(Posting)
class PostingAdmin(ScopedAdmin):
    list_display = ["cadre", "kind", "division", "enterprise", "started_on", "ended_on"]
    list_filter = ["kind", ActiveFilter]
    search_fields = ["cadre__name", "division__name", "division__code", "enterprise__name"]
    autocomplete_fields = ["cadre", "division", "enterprise"]
    list_select_related = ["cadre", "division", "enterprise"]
    date_hierarchy = "started_on"


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "role", "division", "department"]
    list_filter = ["role", "division__tier"]
    search_fields = ["user__username", "division__name", "division__code", "department__name"]
    autocomplete_fields = ["user", "division", "department"]
    list_select_related = ["user", "division", "department"]

    # An office member adds and removes the members of the departments under their offices
    # (部门承办人); offices and leaders are appointed through the API or by a superuser.
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not request.user.is_superuser:
            role = form.base_fields["role"]
            role.choices = [(Membership.Role.DEPARTMENT, Membership.Role.DEPARTMENT.label)]
            role.initial = Membership.Role.DEPARTMENT
            form.base_fields["division"].required = False
            form.base_fields["department"].required = True
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and not request.user.is_superuser:
            kwargs["queryset"] = Department.objects.filter(
                jurisdiction(request.user).office_q("division__code")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return obj.role == Membership.Role.DEPARTMENT and super().has_delete_permission(
                request, obj
            )
        return super().has_delete_permission(request, obj)
