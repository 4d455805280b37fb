from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .forms import EvidenceField
from .models import Attachment


class AttachmentSerializer(serializers.ModelSerializer):
    """A file of an issue: its URLs are this API's own views, which check visible_to."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "role", "url", "thumbnail_url", "public", "taken_at"]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(serializers.URLField())
    def get_url(self, obj: Attachment) -> str:
        return self._absolute(reverse("evidence:file", kwargs={"pk": obj.pk}))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, obj: Attachment) -> str | None:
        if not obj.is_image:
            return None
        return self._absolute(reverse("evidence:thumb", kwargs={"pk": obj.pk}))


class UploadedFilesField(serializers.ListField):
    """Multipart `file` parts, each checked as the forms check them (a 400 names the file)."""

    child = serializers.FileField()

    def to_internal_value(self, data):
        files = super().to_internal_value(data)
        try:
            return EvidenceField(documents=True).clean(files)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class AttachmentUploadSerializer(serializers.Serializer):
    file = UploadedFilesField(allow_empty=False)
    role = serializers.ChoiceField(choices=Attachment.Role.choices, default=Attachment.Role.BEFORE)

    def to_internal_value(self, data):
        # Several `file` parts in one multipart body come as a list.
        if hasattr(data, "getlist"):
            data = {"file": data.getlist("file"), "role": data.get("role", Attachment.Role.BEFORE)}
        return super().to_internal_value(data)
