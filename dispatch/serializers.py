"""REST representations of the territory and the people."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Cadre, Department, Division, Enterprise, Membership, Posting, Tier


def run_clean(instance) -> None:
    """Run the model's own validation and report it in DRF's shape."""
    try:
        instance.clean()
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from None


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["code", "name", "tier", "parent"]


class ScopedSerializer(serializers.ModelSerializer):
    """Related fields offer only what the requesting office member administers, so a code
    outside their subtree is answered as unknown (400), exactly as if it did not exist."""

    scoped_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.context.get("scope")
        if scope is None:
            return
        for name, lookup in self.scoped_fields.items():
            if name in self.fields:
                f = self.fields[name]
                f.queryset = f.queryset.filter(scope(lookup))


class EnterpriseSerializer(ScopedSerializer):
    division = serializers.PrimaryKeyRelatedField(queryset=Division.objects.all())
    scoped_fields = {"division": "code"}

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "division"]

    def validate(self, attrs):
        run_clean(Enterprise(**attrs))
        return attrs


class DepartmentSerializer(ScopedSerializer):
    division = serializers.PrimaryKeyRelatedField(queryset=Division.objects.all())
    scoped_fields = {"division": "code"}

    class Meta:
        model = Department
        fields = ["id", "name", "division"]
        validators = []  # the unique pair is checked below with a field-named message

    def validate(self, attrs):
        run_clean(Department(**attrs))
        if Department.objects.filter(name=attrs["name"], division=attrs["division"]).exists():
            raise serializers.ValidationError(
                {"name": [_("This division already has a department of that name.")]}
            )
        return attrs


class CadreSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", max_length=150)
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, trim_whitespace=False
    )

    class Meta:
        model = Cadre
        fields = ["id", "username", "name", "phone", "agency", "password"]

    def validate_username(self, value: str) -> str:
        User = get_user_model()
        field = User._meta.get_field("username")
        try:
            for validator in field.validators:
                validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        if User.objects.filter(username=value).exists():
            raise serializers.ValidationError(_("This username is taken."))
        return value

    def validate(self, attrs):
        User = get_user_model()
        try:
            validate_password(
                attrs["password"], User(username=attrs["user"]["username"], first_name="")
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from None
        return attrs

    def create(self, validated_data):
        user_data = validated_data.pop("user")
        password = validated_data.pop("password")
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=user_data["username"], password=password
            )
            return Cadre.objects.create(user=user, **validated_data)


class PostingSerializer(ScopedSerializer):
    division = serializers.PrimaryKeyRelatedField(queryset=Division.objects.all())
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.all(), allow_null=True, required=False
    )
    duties = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=100
    )
    scoped_fields = {"division": "code", "enterprise": "division__code"}

    class Meta:
        model = Posting
        fields = [
            "id",
            "cadre",
            "kind",
            "division",
            "enterprise",
            "started_on",
            "ended_on",
            "duties",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cadres = self.context.get("cadres")
        if cadres is not None:
            self.fields["cadre"].queryset = cadres

    def validate(self, attrs):
        current = {}
        if self.instance is not None:
            current = {
                f: getattr(self.instance, f)
                for f in ("cadre", "kind", "division", "enterprise", "started_on", "ended_on")
            }
        merged = {**current, **attrs}
        if merged.get("kind") != Posting.Kind.ENTERPRISE and "enterprise" not in attrs:
            merged["enterprise"] = None
        run_clean(Posting(**{k: v for k, v in merged.items() if k != "duties"}))
        return attrs


class MembershipSerializer(ScopedSerializer):
    """An office or leader membership of a division, or a department membership (role
    `department`, naming the department; its division is the department's)."""

    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    division = serializers.PrimaryKeyRelatedField(
        queryset=Division.objects.exclude(tier=Tier.VILLAGE), required=False
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.select_related("division"), required=False, allow_null=True
    )
    # An office member manages the members of its own departments and of those below it.
    scoped_fields = {"department": "division__code"}

    class Meta:
        model = Membership
        fields = ["id", "user", "division", "department", "role"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        below = self.context.get("divisions_below")
        if below is not None:
            self.fields["division"].queryset = self.fields["division"].queryset.filter(below)

    def validate(self, attrs):
        department = attrs.get("department")
        if attrs.get("role") == Membership.Role.DEPARTMENT:
            if department is None:
                raise serializers.ValidationError({"department": [_("Name the department.")]})
            attrs["division"] = department.division
        elif "division" not in attrs:
            raise serializers.ValidationError({"division": [_("This field is required.")]})
        run_clean(Membership(**attrs))
        if Membership.objects.filter(**attrs).exists():
            raise serializers.ValidationError(
                {"non_field_errors": [_("This membership exists already.")]}
            )
        return attrs


class CoverageSerializer(serializers.Serializer):
    division = serializers.CharField()
    villages = serializers.IntegerField()
    covered = serializers.IntegerField()
    uncovered = serializers.ListField(child=serializers.CharField())
