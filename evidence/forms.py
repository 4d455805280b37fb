"""The file inputs of the forms: the phone's camera, several files, checked on the server."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .checks import check_upload
from .models import Attachment


class CameraInput(forms.ClearableFileInput):
    """Several files; on a phone the camera opens first. static/js/evidence.js shrinks photos
    in the browser before they are sent (data-resize)."""

    allow_multiple_selected = True
    template_name = "django/forms/widgets/file.html"

    def __init__(self, attrs=None, *, documents: bool = False):
        base = {
            "accept": "image/*,application/pdf" if documents else "image/*",
            "capture": "environment",
            "multiple": True,
            "data-resize": "1600",
            "class": "evidence-input",
        }
        super().__init__({**base, **(attrs or {})})


# Built when shown, in the language of the request (the fields are made at import time).
_help_text = lazy(
    lambda: (
        gettext("Photos (JPEG, PNG, WebP, HEIC) up to %(mb)d MB each.")
        % {"mb": settings.SANBUFU_ATTACHMENT_MAX_BYTES // 1048576}
    ),
    str,
)


class EvidenceField(forms.FileField):
    """A list of files, each checked by evidence.checks (content, size, pixels); cleans to the
    list of Checked results, which the services store without checking again."""

    widget = CameraInput

    def __init__(self, *, documents: bool = False, **kwargs):
        self.documents = documents
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", CameraInput(documents=documents))
        kwargs.setdefault("help_text", _help_text())
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        limit = settings.SANBUFU_ATTACHMENTS_PER_ISSUE
        if len(files) > limit:
            raise ValidationError(_("At most %(limit)d files at once.") % {"limit": limit})
        checked, errors = [], []
        for f in files:
            try:
                checked.append(check_upload(f, documents=self.documents))
            except ValidationError as exc:
                name = getattr(f, "name", "")
                errors.extend(f"{name}: {m}" if name else m for m in exc.messages)
        if errors:
            raise ValidationError(errors)
        return checked


class EvidenceForm(forms.Form):
    """The issue page's "add a photo": files, what they show, and the phone's location when
    the user chose to send it (a point recorded on the issue)."""

    files = EvidenceField(required=True, label=_("Photos or documents"), documents=True)
    role = forms.ChoiceField(label=_("Shows"), choices=Attachment.Role.choices, required=False)
    latitude = forms.DecimalField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
