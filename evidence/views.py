"""Serving stored evidence. Nothing in the store is reachable directly: every file goes out
through these views, after the issue is loaded through visible_to (a 404 otherwise), or, for
a photo marked public, by its unguessable token."""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.errors import DomainError
from issues import services as issue_services
from issues.models import Issue

from . import services
from .forms import EvidenceForm
from .models import Attachment


def _send(
    request: HttpRequest, attachment: Attachment, thumbnail: bool, *, public: bool
) -> HttpResponse:
    field = attachment.thumbnail if thumbnail else attachment.file
    if not field:
        if thumbnail:  # not made yet (the task is queued): the photo itself will do
            field = attachment.file
        else:
            raise Http404
    content_type = "image/jpeg" if field is attachment.thumbnail else attachment.content_type
    storage = field.storage
    cache = "public, max-age=86400" if public else "private, max-age=300"
    if hasattr(storage, "bucket_name") and settings.S3_REDIRECT:
        # S3: a redirect to a presigned URL of a few minutes (S3_URL_SECONDS); the store
        # sends the bytes, the link is useless after it expires.
        response: HttpResponse = HttpResponseRedirect(storage.url(field.name))
        response["Cache-Control"] = "private, no-store"
        return response
    if settings.SANBUFU_X_ACCEL_REDIRECT:
        # nginx sends the file from an `internal` location aliasing MEDIA_ROOT (README).
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = (
            settings.SANBUFU_X_ACCEL_REDIRECT.rstrip("/") + "/" + quote(field.name)
        )
    else:
        try:
            response = FileResponse(field.open("rb"), content_type=content_type)
        except (FileNotFoundError, OSError):
            raise Http404 from None
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    extension = mimetypes.guess_extension(content_type) or ""
    disposition = "inline" if attachment.is_image else "attachment"
    response["Content-Disposition"] = (
        f'{disposition}; filename="evidence-{attachment.pk}{extension}"'
    )
    return response


def _api_user(request: HttpRequest):
    """The user of an API token (Authorization: Token ...), for the `url` the API hands out;
    None without one. A wrong token is no user: the view answers as to anyone logged out."""
    if not request.headers.get("Authorization", "").startswith("Token "):
        return None
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed

    try:
        found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None
    return found[0] if found else None


@require_GET
def attachment_file(request: HttpRequest, pk: int, thumbnail: bool = False) -> HttpResponse:
    """A file of an issue the user sees (a session, or an API token); anything else is a
    404, and a visitor not logged in is sent to the login page."""
    user = request.user if request.user.is_authenticated else _api_user(request)
    if user is None:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    attachment = get_object_or_404(Attachment.objects.visible_to(user), pk=pk)
    return _send(request, attachment, thumbnail, public=False)


@require_GET
def public_file(request: HttpRequest, token: str, thumbnail: bool = False) -> HttpResponse:
    """A photo marked public, by its token, with no login (the resident's page, Open311)."""
    attachment = Attachment.objects.public().filter(token=token).first()
    if attachment is None:
        raise Http404
    return _send(request, attachment, thumbnail, public=True)


@login_required
@require_POST
def add(request: HttpRequest, issue_id: int) -> HttpResponse:
    """The issue page's "add photo" form."""
    issue = get_object_or_404(Issue.objects.visible_to(request.user), pk=issue_id)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if data["latitude"] is not None and data["longitude"] is not None:
                    issue_services.set_issue_point(
                        actor=request.user,
                        issue=issue.pk,
                        latitude=data["latitude"],
                        longitude=data["longitude"],
                        source="phone",
                    )
                added = services.add_evidence(
                    actor=request.user,
                    issue=issue,
                    files=data["files"],
                    role=data["role"] or Attachment.Role.BEFORE,
                )
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _n_added(len(added)))
    else:
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    return redirect("issues:detail", pk=issue.pk)


def _n_added(count: int) -> str:
    from django.utils.translation import ngettext

    return ngettext("%(count)d file added.", "%(count)d files added.", count) % {"count": count}


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a photo to the public, or hide it again (whoever may act on the issue)."""
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    try:
        services.set_attachment_public(
            actor=request.user, attachment=attachment, public=request.POST.get("public") == "1"
        )
    except (ValidationError, DomainError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("issues:detail", pk=attachment.issue_id)


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    reason = request.POST.get("reason", "").strip()
    if len(reason) > services.REASON_LIMIT:
        messages.error(
            request,
            _("The reason is at most %(limit)d characters; it has %(count)d.")
            % {"limit": services.REASON_LIMIT, "count": len(reason)},
        )
        return redirect("issues:detail", pk=attachment.issue_id)
    try:
        services.remove_attachment(actor=request.user, attachment=attachment, reason=reason)
    except (ValidationError, DomainError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("issues:detail", pk=attachment.issue_id)
