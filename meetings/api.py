"""Meetings in the REST API (API.md "Meetings"): read a town's weekly analysis meetings,
decide agenda items and close a meeting. A meeting is visible when its town lies in the
caller's jurisdiction; deciding and closing are for the town's office members."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.weeks import parse_week
from dispatch.api import CodeFilter
from issues.api import ERRORS, TRANSITION_ERRORS

from . import services
from .models import AgendaItem, DecisionCorrection, Meeting
from .services import ATTENDEE_NAMES_MAX_LENGTH


class CorrectionSerializer(serializers.ModelSerializer):
    corrected_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DecisionCorrection
        fields = ["id", "before", "after", "reason", "corrected_by", "corrected_at"]
        read_only_fields = fields


class AgendaItemSerializer(serializers.ModelSerializer):
    issue_title = serializers.CharField(source="issue.title", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    corrections = CorrectionSerializer(many=True, read_only=True)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "issue",
            "issue_title",
            "new",
            "late",
            "decision",
            "department",
            "note",
            "decided_by",
            "decided_at",
            "corrections",
        ]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    items = AgendaItemSerializer(many=True, read_only=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    host = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attendees = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "town",
            "week",
            "status",
            "stats",
            "items",
            "minutes",
            "convened_at",
            "closed_at",
            "closed_by",
            "host",
            "attendees",
            "attendee_names",
        ]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=AgendaItem.Decision.choices)
    department = serializers.IntegerField(required=False, allow_null=True)
    resolution = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CloseSerializer(serializers.Serializer):
    minutes = serializers.CharField()


class CorrectSerializer(serializers.Serializer):
    note = serializers.CharField()
    reason = serializers.CharField(max_length=500)


class AttendanceSerializer(serializers.Serializer):
    host = serializers.IntegerField(required=False, allow_null=True, default=None)
    attendees = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )
    attendee_names = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=ATTENDEE_NAMES_MAX_LENGTH
    )


def validate_week(value: str) -> None:
    try:
        parse_week(value)
    except ValidationError:
        raise ValidationError(_("Write an ISO week as 2026-W48.")) from None


class MeetingFilter(django_filters.FilterSet):
    town = CodeFilter(field_name="town_id", help_text="A town's 12-digit code.")
    week = django_filters.CharFilter(
        validators=[validate_week], max_length=8, help_text="An ISO week, 2026-W48."
    )

    class Meta:
        model = Meeting
        fields = ["town", "week"]


@extend_schema_view(
    list=extend_schema(responses={200: MeetingSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: MeetingSerializer, **ERRORS}),
)
class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self):
        items = (
            AgendaItem.objects.select_related("issue", "decided_by")
            .prefetch_related(
                Prefetch(
                    "corrections",
                    queryset=DecisionCorrection.objects.select_related("corrected_by"),
                )
            )
            .order_by("-new", "issue_id")
        )
        return (
            Meeting.objects.visible_to(self.request.user)
            .select_related("closed_by", "host")
            .prefetch_related(Prefetch("items", queryset=items), "attendees")
            .order_by("-week", "town_id")
        )

    @extend_schema(
        request=DecideSerializer,
        responses={200: AgendaItemSerializer, **TRANSITION_ERRORS},
        description="Decide an agenda item and apply the transition to its issue; 409 when "
        "the meeting is closed or the item already decided.",
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>[0-9]+)/decide")
    def decide(self, request, pk=None, item_id=None):
        meeting = self.get_object()
        item = meeting.items.filter(pk=item_id).first()
        if item is None:
            raise exceptions.NotFound(_("No such agenda item."))
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.decide_agenda_item(actor=request.user, item=item, **data.validated_data)
        item = AgendaItem.objects.select_related("issue", "decided_by").get(pk=item.pk)
        return Response(AgendaItemSerializer(item).data)

    @extend_schema(
        request=CloseSerializer,
        responses={200: MeetingSerializer, **TRANSITION_ERRORS},
        description="Close the meeting with its minutes; 409 when already closed.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        meeting = self.get_object()
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.close_meeting(
            actor=request.user, meeting=meeting, minutes=data.validated_data["minutes"]
        )
        return Response(MeetingSerializer(self.get_queryset().get(pk=meeting.pk)).data)

    @extend_schema(
        request=CorrectSerializer,
        responses={200: AgendaItemSerializer, **TRANSITION_ERRORS},
        description="Correct the record of a decided item while the meeting is open (the "
        "correction goes on the issue's timeline); 409 when the meeting is closed or the item "
        "not decided.",
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>[0-9]+)/correct")
    def correct(self, request, pk=None, item_id=None):
        meeting = self.get_object()
        item = meeting.items.filter(pk=item_id).first()
        if item is None:
            raise exceptions.NotFound(_("No such agenda item."))
        data = CorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.correct_decision(actor=request.user, item=item, **data.validated_data)
        item = (
            AgendaItem.objects.select_related("issue", "decided_by")
            .prefetch_related("corrections__corrected_by")
            .get(pk=item.pk)
        )
        return Response(AgendaItemSerializer(item).data)

    @extend_schema(
        request=AttendanceSerializer,
        responses={200: MeetingSerializer, **TRANSITION_ERRORS},
        description="Record the host and attendees (user ids of the town's people) and other "
        "attendees by name, replacing what was recorded; 409 when the meeting is closed.",
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        meeting = self.get_object()
        data = AttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.record_attendance(actor=request.user, meeting=meeting, **data.validated_data)
        return Response(MeetingSerializer(self.get_queryset().get(pk=meeting.pk)).data)
