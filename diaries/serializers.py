"""REST representations of diary entries and the issues logged with them."""

from __future__ import annotations

from rest_framework import serializers

from dispatch.models import Posting
from issues.models import DESCRIPTION_MAX_LENGTH, Category

from .models import DiaryEntry
from .services import MAX_ISSUES_PER_ENTRY, check_issues, kind_error, too_many_issues_message


class DiaryIssueListSerializer(serializers.ListSerializer):
    """Refuses an over-long list with one message before looking at any item (DRF's own
    max_length answers under the list's field keys, which read as one empty object per
    submitted issue once aligned)."""

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > MAX_ISSUES_PER_ENTRY:
            raise serializers.ValidationError([too_many_issues_message()], code="max_length")
        return super().to_internal_value(data)


class DiaryIssueSerializer(serializers.Serializer):
    # A blank title or an unknown category is left to the service, which reports the errors
    # of every issue at once.
    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )
    category = serializers.CharField(max_length=40)
    grid = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    resolved_on_spot = serializers.BooleanField(required=False, default=False)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=10000)

    class Meta:
        list_serializer_class = DiaryIssueListSerializer


class DiaryEntryCreateSerializer(serializers.Serializer):
    posting = serializers.PrimaryKeyRelatedField(queryset=Posting.objects.none())
    kind = serializers.ChoiceField(choices=DiaryEntry.Kind.choices)
    visited_on = serializers.DateField()
    households_visited = serializers.IntegerField(min_value=0, max_value=10000)
    summary = serializers.CharField(max_length=20000)
    issues = DiaryIssueSerializer(many=True, required=False)
    duties = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=50,
        help_text="Duties of the posting's checklist this visit served.",
    )
    households = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=500,
        help_text="Households of the register (ids, of the posting's village) visited.",
    )
    enterprises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=500,
        help_text="Enterprises (ids, of the posting's village) visited.",
    )
    mediation = serializers.ChoiceField(
        choices=DiaryEntry.Mediation.choices,
        required=False,
        allow_blank=True,
        help_text="The outcome of a dispute mediated on the visit (大排解).",
    )

    def validate_issues(self, issues: list[dict]) -> list[dict]:
        """The per-issue checks of diaries.services.log_diary_entry, answered as a list aligned
        with the submitted issues ({} for a good one), so a client sees every bad issue."""
        errors = check_issues(issues, {c.code: c for c in Category.objects.all()})
        if any(errors):
            raise serializers.ValidationError(errors)
        return issues

    def validate(self, attrs):
        error = kind_error(attrs["posting"], attrs["kind"])
        if error:
            raise serializers.ValidationError({"kind": [error]})
        return attrs

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only one's own postings exist here; another cadre's posting is unknown.
            self.fields["posting"].queryset = Posting.objects.filter(
                cadre__user=request.user
            ).select_related("cadre", "division", "enterprise")


class DiaryEntrySerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    issues = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    duties = serializers.SlugRelatedField(slug_field="duty", many=True, read_only=True)
    households = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    enterprises = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = DiaryEntry
        fields = [
            "id",
            "posting",
            "author",
            "kind",
            "visited_on",
            "households_visited",
            "summary",
            "issues",
            "duties",
            "households",
            "enterprises",
            "mediation",
            "created_at",
        ]
        read_only_fields = fields
