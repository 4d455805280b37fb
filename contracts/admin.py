"""Admin of co-building for the offices: units, contracts (their steps are taken on the
contract page or the API, so here they are read-only), resources, projects, needs, offers,
part-time committee members, and the category ↔ resource kind mapping.

Office members reach it through their jurisdiction (no model permission rows): rows of
communities outside it do not exist for them."""

from __future__ import annotations

from django.contrib import admin

from dispatch.admin import ScopedAdmin
from dispatch.services import jurisdiction

from .models import (
    CategoryKind,
    CommitteeMember,
    Contract,
    ContractStep,
    MenuItem,
    Need,
    Offer,
    PartnerResolution,
    Project,
    Resource,
    Unit,
)


class OfficeAdmin(ScopedAdmin):
    """Open to every office member (and superusers), scoped to their communities."""

    scope_field = "community__code"

    def _office(self, request) -> bool:
        return jurisdiction(request.user).administers

    def has_module_permission(self, request):
        return self._office(request)

    def has_view_permission(self, request, obj=None):
        return self._office(request)

    def has_add_permission(self, request):
        return self._office(request)

    def has_change_permission(self, request, obj=None):
        return self._office(request)

    def has_delete_permission(self, request, obj=None):
        return self._office(request)


@admin.register(Unit)
class UnitAdmin(OfficeAdmin):
    scope_field = "division__code"
    list_display = ["name", "kind", "credit_code", "division"]
    list_filter = ["kind"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["division"]
    list_select_related = ["division"]


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 0


class ContractStepInline(admin.TabularInline):
    model = ContractStep
    extra = 0
    fields = ["step", "on", "by", "note", "score"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contract)
class ContractAdmin(OfficeAdmin):
    list_display = ["title", "unit", "community", "step", "score"]
    list_filter = ["step"]
    search_fields = ["title", "unit__name", "community__name"]
    autocomplete_fields = ["unit", "community"]
    list_select_related = ["unit", "community"]
    # The steps are services (contracts.services.advance_contract): opened on the contracts
    # page or the API, moved there; here the items are edited and the steps read.
    readonly_fields = ["unit", "community", "step", "score", "version"]
    inlines = [MenuItemInline, ContractStepInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Resource)
class ResourceAdmin(OfficeAdmin):
    list_display = ["name", "kind", "unit", "community", "available"]
    list_filter = ["kind", "available"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit", "community", "contract"]
    list_select_related = ["unit", "community"]


@admin.register(Project)
class ProjectAdmin(OfficeAdmin):
    list_display = ["name", "kind", "unit", "community", "status", "progress"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit", "community", "contract"]
    list_select_related = ["unit", "community"]


@admin.register(Need)
class NeedAdmin(OfficeAdmin):
    list_display = ["title", "community", "status", "claimed_by", "issue"]
    list_filter = ["status"]
    search_fields = ["title"]
    list_select_related = ["community", "claimed_by", "issue"]
    # Taking up and meeting a need are services (contracts.services).
    readonly_fields = ["status", "claimed_by", "issue"]
    autocomplete_fields = ["community"]


@admin.register(Offer)
class OfferAdmin(OfficeAdmin):
    list_display = ["title", "unit", "community", "status"]
    list_filter = ["status"]
    search_fields = ["title", "unit__name"]
    readonly_fields = ["status"]
    autocomplete_fields = ["unit", "community"]
    list_select_related = ["unit", "community"]


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(OfficeAdmin):
    list_display = ["name", "unit", "community", "started_on", "ended_on"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit", "community"]
    list_select_related = ["unit", "community"]


@admin.register(PartnerResolution)
class PartnerResolutionAdmin(OfficeAdmin):
    scope_field = "issue__division__code"
    list_display = ["issue", "unit", "resource", "project", "at"]
    list_select_related = ["issue", "unit", "resource", "project"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CategoryKind)
class CategoryKindAdmin(admin.ModelAdmin):
    """Data shared by every office; superusers edit it."""

    list_display = ["category", "kind"]
    list_filter = ["kind"]
    list_select_related = ["category"]

    def has_module_permission(self, request):
        return jurisdiction(request.user).administers

    def has_view_permission(self, request, obj=None):
        return jurisdiction(request.user).administers
