"""Login lockout: the answer a locked-out client gets, and the audit row of each lockout.

django-axes counts failures in the cache (see AXES_* in settings); this module decides what a
refused login looks like on each face and records every lockout where the admin shows it.
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.models import AccessFailureLog
from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message(request: HttpRequest) -> str:
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    return _(
        "Too many failed login attempts: logging in is locked for %(minutes)s minutes. "
        "Please try again later."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """429 for every refused login: JSON `{"detail"}` in the API, a page elsewhere."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": message}, status=429, json_dumps_params={"ensure_ascii": False}
        )
    response: HttpResponse = render(
        request, "registration/locked_out.html", {"message": message}, status=429
    )
    return response


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs) -> None:
    # axes also signals each attempt refused during a lockout; only the failure that started
    # the lockout has counted failures on the request, so each lockout is one row.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    AccessFailureLog.objects.create(
        username=username,
        ip_address=ip_address,
        user_agent=(getattr(request, "axes_user_agent", "") or "")[:255],
        http_accept=(getattr(request, "axes_http_accept", "") or "")[:1025],
        path_info=(getattr(request, "axes_path_info", "") or "")[:255],
        locked_out=True,
    )
