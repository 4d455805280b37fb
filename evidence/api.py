"""The API of an issue's files: read one, show it to the public or hide it, remove it. Files
are added through the issue (`POST /api/v1/issues/{id}/attachments/`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from issues.api import ERRORS, WRITE_ERRORS

from . import services
from .models import Attachment
from .serializers import AttachmentSerializer


class PublicSerializer(serializers.Serializer):
    public = serializers.BooleanField()


class RemoveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REASON_LIMIT, allow_blank=True, default="")


@extend_schema_view(retrieve=extend_schema(responses={200: AttachmentSerializer, **ERRORS}))
class AttachmentViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The files of the issues the caller sees (a 404 for any other)."""

    serializer_class = AttachmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attachment.objects.none()
        return Attachment.objects.visible_to(self.request.user)

    @extend_schema(request=PublicSerializer, responses={200: AttachmentSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"], serializer_class=PublicSerializer)
    def publish(self, request, pk=None):
        """Show a photo on the resident's page and in Open311 `media_url`, or hide it again:
        whoever may act on the issue. A document is refused (400)."""
        attachment = self.get_object()
        data = PublicSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = services.set_attachment_public(
            actor=request.user, attachment=attachment.pk, public=data.validated_data["public"]
        )
        return Response(AttachmentSerializer(found, context=self.get_serializer_context()).data)

    @extend_schema(request=RemoveSerializer, responses={200: AttachmentSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"], serializer_class=RemoveSerializer)
    def remove(self, request, pk=None):
        """Remove a file from its issue, with a reason on the timeline: its uploader, or
        whoever may act on the issue. The file is deleted from the store."""
        attachment = self.get_object()
        data = RemoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = services.remove_attachment(
            actor=request.user, attachment=attachment.pk, reason=data.validated_data["reason"]
        )
        return Response(AttachmentSerializer(found, context=self.get_serializer_context()).data)
