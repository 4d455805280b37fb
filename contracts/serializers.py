"""REST representations of co-building and the inputs of its writes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dispatch.models import Division

from .models import Contract, Kind, MenuItem, Need, Offer, Project, Resource, Unit


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "credit_code", "division", "contact_name", "contact_phone"]
        read_only_fields = fields


class MenuItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = MenuItem
        fields = ["menu", "side", "title"]


class ContractSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    items = MenuItemSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "title",
            "unit",
            "unit_name",
            "community",
            "step",
            "score",
            "version",
            "items",
        ]
        read_only_fields = fields


class ContractCreateSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    community = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all())
    title = serializers.CharField(max_length=200)
    note = serializers.CharField(help_text=_("The evidence of the negotiation (谈约)."))
    items = MenuItemSerializer(many=True, required=False)
    on = serializers.DateField(required=False)

    def validate(self, attrs):
        attrs["items"] = [(i["menu"], i["side"], i["title"]) for i in attrs.get("items", [])]
        return attrs


class AdvanceSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Contract.Step.choices)
    note = serializers.CharField()
    on = serializers.DateField(required=False)
    score = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    version = serializers.IntegerField(required=False, min_value=1)


class ResourceSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Resource
        fields = [
            "id",
            "name",
            "kind",
            "unit",
            "unit_name",
            "community",
            "contract",
            "availability",
            "available",
        ]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "kind",
            "unit",
            "unit_name",
            "community",
            "contract",
            "status",
            "progress",
        ]
        read_only_fields = fields


class ResolveThroughSerializer(serializers.Serializer):
    issue = serializers.IntegerField(min_value=1)
    resolution = serializers.CharField()
    version = serializers.IntegerField(required=False, min_value=1)


def _counts(name: str, keys: list[str]) -> serializers.Serializer:
    """A serializer of one count per key, named for the schema."""
    fields = {key: serializers.IntegerField() for key in keys}
    return type(name, (serializers.Serializer,), fields)()


class ContractStatsSerializer(serializers.Serializer):
    """Co-building figures of a subtree (see contracts.selectors.stats)."""

    within = serializers.CharField(allow_null=True)
    as_of = serializers.DateField()
    units_with_contracts = serializers.IntegerField()
    contracts = serializers.IntegerField()
    contracts_by_step = _counts("ContractsByStep", Contract.STEPS)
    resources = serializers.IntegerField()
    resources_by_kind = _counts("ResourcesByKind", Kind.values)
    projects = serializers.IntegerField()
    projects_by_status = _counts("ProjectsByStatus", Project.Status.values)
    committee_members = serializers.IntegerField()
    needs = serializers.IntegerField()
    needs_met = serializers.IntegerField()
    resolved_with_partner = serializers.IntegerField()


class ContractStatsQuerySerializer(serializers.Serializer):
    within = serializers.CharField(required=False, max_length=12)

    def validate_within(self, value: str) -> str:
        if not Division.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("Unknown division code."))
        return value


class NeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Need
        fields = ["id", "community", "title", "issue", "status", "claimed_by", "created_at"]
        read_only_fields = fields


class ClaimNeedSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = ["id", "unit", "community", "title", "status", "created_at"]
        read_only_fields = fields
