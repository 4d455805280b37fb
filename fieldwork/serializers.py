"""The API's shapes of field work (API.md, "Field work")."""

from __future__ import annotations

from rest_framework import serializers

from dispatch.models import Posting

from .models import Campaign

# The largest id a database holds (a signed 64-bit integer); a larger one is simply unknown.
ID_MAX = 2**63 - 1


class CampaignSerializer(serializers.ModelSerializer):
    within = serializers.CharField(max_length=12, help_text="The division code of its subtree.")

    class Meta:
        model = Campaign
        fields = ["id", "name", "kind", "within", "started_on", "ended_on", "target_per_posting"]
        read_only_fields = ["id"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["within"] = instance.within_id
        return data


class TownProgressSerializer(serializers.Serializer):
    town = serializers.CharField()
    name = serializers.CharField()
    visits = serializers.IntegerField()
    postings = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True, help_text="visits / (postings × target)")


class PostingProgressSerializer(serializers.Serializer):
    posting = serializers.IntegerField(source="pk")
    cadre = serializers.CharField(source="cadre.name")
    division = serializers.CharField(source="division_id")
    visits = serializers.IntegerField()


class CampaignProgressSerializer(serializers.Serializer):
    visits = serializers.IntegerField(help_text="Diary entries in the period and subtree.")
    postings = serializers.IntegerField(help_text="Postings whose term overlaps the period.")
    target = serializers.IntegerField(help_text="target_per_posting × postings")
    share = serializers.FloatField(allow_null=True)
    by_town = TownProgressSerializer(many=True)
    by_posting = PostingProgressSerializer(many=True, help_text="The 50 with most visits.")
    mediations = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Mediation campaigns: entries by outcome.",
    )


class DeploymentCreateSerializer(serializers.Serializer):
    division = serializers.CharField(max_length=12, help_text="The community sent down to.")
    cadres = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=500
    )
    started_on = serializers.DateField()
    ended_on = serializers.DateField(help_text="The last day; the postings end by themselves.")
    tasks = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=30, default=list
    )


class TemporaryPostingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Posting
        fields = ["id", "cadre", "kind", "division", "started_on", "ended_on", "duties"]
        read_only_fields = fields


class DeploymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    division = serializers.CharField(source="division_id")
    started_on = serializers.DateField()
    ended_on = serializers.DateField()
    tasks = serializers.ListField(child=serializers.CharField())
    postings = TemporaryPostingSerializer(many=True, source="postings.all")
