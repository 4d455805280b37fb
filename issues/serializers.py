"""REST representations of issues, their timeline and the transition inputs."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dispatch.models import Division, Tier
from evidence.serializers import AttachmentSerializer

from . import rules
from .models import (
    DESCRIPTION_MAX_LENGTH,
    PUBLIC_DESCRIPTION_MAX_LENGTH,
    Category,
    EscalationReason,
    Extension,
    FollowUpOutcome,
    Issue,
    IssueEvent,
    Notification,
    Rating,
    RatingSource,
    SupervisionOrder,
)


class CategorySerializer(serializers.ModelSerializer):
    """A category: `code` is what issues, diaries and Open311 (`service_code`) send; a null
    deadline means the tier's default (SANBUFU_DEADLINE_DAYS)."""

    class Meta:
        model = Category
        fields = [
            "code",
            "name_zh",
            "name_en",
            "sort_order",
            "village_days",
            "town_days",
            "county_days",
            "city_days",
        ]


class PendingExtensionSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Extension
        fields = ["days", "reason", "department", "requested_by", "requested_at"]
        read_only_fields = fields


class SupervisionSerializer(serializers.ModelSerializer):
    grade = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionOrder
        fields = ["issued_at", "reply_by", "replied_at", "grade", "note", "sequence"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["yellow", "red"]))
    def get_grade(self, order: SupervisionOrder) -> str:
        return order.grade(self.context.get("now"))


class IssueSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    claimed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    raised_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    deadline_state = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField()
    # Empty choices read as null: "no rating yet", "not resolved at any tier".
    rating = serializers.ChoiceField(choices=Rating.choices, allow_null=True, read_only=True)
    resolved_tier = serializers.ChoiceField(choices=Tier.choices, allow_null=True, read_only=True)
    co_departments = serializers.SerializerMethodField()
    extensions = serializers.IntegerField(source="extension_count", read_only=True)
    pending_extension = PendingExtensionSerializer(read_only=True, allow_null=True)
    supervision = SupervisionSerializer(read_only=True, allow_null=True)
    ack_state = serializers.SerializerMethodField()
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Issue
        fields = [
            "id",
            "title",
            "description",
            "public_description",
            "category",
            "status",
            "tier",
            "division",
            "enterprise",
            "grid",
            "holder",
            "department",
            "claimed_by",
            "raised_by",
            "raised_on",
            "raised_at",
            "due_at",
            "overdue",
            "deadline_state",
            "escalation_count",
            "resolved_at",
            "resolved_tier",
            "resolution",
            "rating",
            "version",
            "reporter_name",
            "reporter_phone",
            "resolved_on_spot",
            "supervised_at",
            "co_departments",
            "acknowledged_at",
            "ack_due_at",
            "ack_state",
            "extensions",
            "pending_extension",
            "supervision",
            "merged_into",
            "latitude",
            "longitude",
            "attachments",
        ]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj: Issue) -> list[dict]:
        # Prefetched by the viewset (evidence.models.live_attachments); one query otherwise.
        files = getattr(obj, "live_attachments", None)
        if files is None:
            files = obj.attachments.filter(deleted_at__isnull=True).order_by("uploaded_at", "id")
        return AttachmentSerializer(files, many=True, context=self.context).data

    def _now(self):
        if "now" not in self.context:
            self.context["now"] = timezone.now()
        return self.context["now"]

    def get_overdue(self, issue: Issue) -> bool:
        return issue.is_overdue(self._now())

    @extend_schema_field(serializers.ChoiceField(choices=["green", "amber", "red"]))
    def get_deadline_state(self, issue: Issue) -> str:
        return issue.deadline_state(self._now())

    def get_co_departments(self, issue: Issue) -> list[int]:
        return issue.co_department_ids()

    @extend_schema_field(serializers.ChoiceField(choices=["", "green", "red"]))
    def get_ack_state(self, issue: Issue) -> str:
        """'' when no 签收 is awaited; green within the window; red past it."""
        return issue.ack_state(self._now())

    def get_reporter_phone(self, issue: Issue) -> str:
        request = self.context.get("request")
        return rules.reporter_phone(request.user if request is not None else None, issue)

    def to_representation(self, issue: Issue):
        data = super().to_representation(issue)
        data["rating"] = issue.rating or None
        data["resolved_tier"] = issue.resolved_tier or None
        return data


class IssueCreateSerializer(serializers.Serializer):
    division = serializers.CharField(max_length=12)
    enterprise = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    # Optional: a grid of the division (网格), by id.
    grid = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    category = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    # Where it was found (WGS84), both or neither; a point never replaces the division.
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-180, max_value=180
    )


class TierOrNullField(serializers.ChoiceField):
    """A tier, or null where the event has none (a raised issue came from no tier)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Tier.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return value or None


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    tier_from = TierOrNullField()
    tier_to = TierOrNullField()
    co_departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = IssueEvent
        fields = [
            "kind",
            "tier_from",
            "tier_to",
            "actor",
            "reason",
            "note",
            "department",
            "co_departments",
            "related_issue",
            "at",
        ]
        read_only_fields = fields


class TransitionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The issue's version as last read; a stale one answers 409 and changes nothing.",
    )


class ResolveSerializer(TransitionSerializer):
    resolution = serializers.CharField(max_length=10000)


class EscalateSerializer(TransitionSerializer):
    reason = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in EscalationReason if r != EscalationReason.OVERDUE]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class AssignSerializer(TransitionSerializer):
    department = serializers.IntegerField(min_value=1, help_text="The lead department (主办).")
    co_departments = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=50,
        help_text="Co-handling departments (协办) of the same division.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class ReturnSerializer(TransitionSerializer):
    reason = serializers.CharField(max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class HandBackSerializer(TransitionSerializer):
    reason = serializers.CharField(max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class ExtensionSerializer(TransitionSerializer):
    days = serializers.IntegerField(min_value=1, help_text="More working days asked for.")
    reason = serializers.CharField(max_length=10000)


class DecideExtensionSerializer(TransitionSerializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class SuperviseSerializer(TransitionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    reply_by = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the holder must answer; default a few working days from now.",
    )


class FeedbackSerializer(TransitionSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    via = serializers.ChoiceField(
        choices=[RatingSource.PHONE, RatingSource.VISIT],
        default=RatingSource.PHONE,
        help_text="How the reporter gave the rating.",
    )


class FollowUpSerializer(TransitionSerializer):
    outcome = serializers.ChoiceField(choices=FollowUpOutcome.choices)
    rating = serializers.ChoiceField(
        choices=Rating.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class NoteSerializer(TransitionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class CommentSerializer(TransitionSerializer):
    note = serializers.CharField(max_length=10000)


class PublishSerializer(TransitionSerializer):
    public_description = serializers.CharField(
        max_length=PUBLIC_DESCRIPTION_MAX_LENGTH,
        help_text="What the public reads of the issue (the Open311 description).",
    )

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        # The service's argument is `text`; the field is named as the issue's.
        values["text"] = values.pop("public_description")
        return values


class StatsSerializer(serializers.Serializer):
    """The closure figures of a subtree and period (see issues.selectors.stats)."""

    class Reached(serializers.Serializer):
        town = serializers.IntegerField()
        county = serializers.IntegerField()
        city = serializers.IntegerField()

    class ByTier(serializers.Serializer):
        village = serializers.IntegerField()
        town = serializers.IntegerField()
        county = serializers.IntegerField()
        city = serializers.IntegerField()

    class ByCategory(serializers.Serializer):
        category = serializers.CharField()
        found = serializers.IntegerField()
        resolved = serializers.IntegerField()

    within = serializers.CharField(allow_null=True)
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    found = serializers.IntegerField(help_text="Problems found: a merged group counts once.")
    reports = serializers.IntegerField(
        help_text="Reports of them: every issue raised, merged ones too, and further reports."
    )
    resolved_on_spot = serializers.IntegerField()
    resolved_in_grid = serializers.IntegerField()
    reached = Reached()
    resolved = serializers.IntegerField()
    resolved_by_tier = ByTier()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closure_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    by_category = ByCategory(many=True)
    rated = serializers.IntegerField()
    followed_up = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(allow_null=True)
    redo_rate = serializers.FloatField(allow_null=True)

    class ByGrid(serializers.Serializer):
        grid = serializers.IntegerField()
        name = serializers.CharField()
        division = serializers.CharField()
        division_name = serializers.CharField()
        found = serializers.IntegerField()
        resolved = serializers.IntegerField()
        resolved_in_grid = serializers.IntegerField()
        in_grid_rate = serializers.FloatField()

    by_grid = ByGrid(many=True)


class StatsQuerySerializer(serializers.Serializer):
    within = serializers.CharField(required=False, max_length=12)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate_within(self, value: str) -> str:
        if not Division.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("Unknown division code."))
        return value

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": [_("until comes before since.")]})
        return attrs


class UnitStatsQuerySerializer(serializers.Serializer):
    within = serializers.CharField(max_length=12, help_text="A town, county or city code.")
    level = serializers.ChoiceField(
        choices=[("department", "department"), ("town", "town"), ("county", "county")],
        default="department",
        help_text="Assess the departments in the subtree, or its towns or counties.",
    )
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate_within(self, value: str) -> Division:
        division = Division.objects.filter(code=value).first()
        if division is None:
            raise serializers.ValidationError(_("Unknown division code."))
        return division

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": [_("until comes before since.")]})
        level = attrs["level"]
        if level != "department" and Tier.values.index(level) >= Tier.values.index(
            attrs["within"].tier
        ):
            raise serializers.ValidationError(
                {"level": [_("Choose a tier below the division's own.")]}
            )
        return attrs


class UnitStatsSerializer(serializers.Serializer):
    """One unit's assessment figures (考核) over the period."""

    unit = serializers.CharField(help_text="The department's id, or the division's code.")
    name = serializers.CharField()
    division = serializers.CharField()
    assigned = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    acknowledged_on_time = serializers.IntegerField()
    unacknowledged_overdue = serializers.IntegerField()
    handed_back = serializers.IntegerField()
    extended = serializers.IntegerField()
    resolved = serializers.IntegerField()
    resolved_on_time = serializers.IntegerField()
    resolved_on_time_without_extension = serializers.IntegerField()
    supervision_orders = serializers.IntegerField()
    late_replies = serializers.IntegerField()
    rated = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(allow_null=True)
    redo_rate = serializers.FloatField(allow_null=True)


class NotificationSerializer(serializers.ModelSerializer):
    """One inbox row: the event that concerns the user, with its issue's number and title."""

    issue = serializers.IntegerField(source="event.issue_id", read_only=True)
    title = serializers.CharField(source="event.issue.title", read_only=True)
    kind = serializers.CharField(source="event.kind", read_only=True)
    rating = serializers.CharField(source="event.rating", read_only=True)
    at = serializers.DateTimeField(source="event.at", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "issue", "title", "kind", "rating", "at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=1000
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("ids") and not attrs.get("all"):
            raise serializers.ValidationError(_("Send ids, or all: true."))
        return attrs


class SimilarQuerySerializer(serializers.Serializer):
    division = serializers.CharField(max_length=12, help_text="The village where it was found.")
    category = serializers.SlugField(max_length=40)
    title = serializers.CharField(max_length=200)


class SimilarIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    division = serializers.CharField(source="division_id")
    raised_on = serializers.DateField()
    similarity = serializers.FloatField(help_text="0 to 1; pg_trgm's trigram similarity.")


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The surviving issue."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class ReportAgainSerializer(serializers.Serializer):
    division = serializers.CharField(max_length=12, help_text="Where this report was heard.")
    reporter_name = serializers.CharField(
        required=False, allow_blank=True, max_length=50, default=""
    )
    reporter_phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
