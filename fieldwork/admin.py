"""Admin of field work, scoped like the territory's: what lies outside the user's
jurisdiction does not exist for them."""

from __future__ import annotations

from django.contrib import admin

from dispatch.admin import ScopedAdmin

from .models import Campaign, Deployment, Household


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    scope_field = "village__code"
    list_display = ["label", "village", "grid"]
    search_fields = ["label", "village__name"]
    autocomplete_fields = ["village"]
    raw_id_fields = ["grid"]
    list_select_related = ["village", "grid"]


@admin.register(Campaign)
class CampaignAdmin(ScopedAdmin):
    scope_field = "within__code"
    list_display = ["name", "kind", "within", "started_on", "ended_on", "target_per_posting"]
    list_filter = ["kind"]
    autocomplete_fields = ["within"]
    raw_id_fields = ["created_by"]
    list_select_related = ["within"]


@admin.register(Deployment)
class DeploymentAdmin(ScopedAdmin):
    list_display = ["division", "started_on", "ended_on"]
    autocomplete_fields = ["division"]
    raw_id_fields = ["postings", "created_by"]
    list_select_related = ["division"]
