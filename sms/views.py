"""Replies from residents, as the provider posts them to us: a reply of TD (退订) or its
like puts the phone on the opt-out list.

Tencent Cloud SMS posts a JSON list of replies, each `{"mobile", "nationcode", "text", ...}`,
to the callback address configured in its console: `/sms/replies/<SMS_REPLY_TOKEN>/`. The
token in the path is the shared secret; without one set, the endpoint does not exist.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import opt_out

# What a resident may reply to stop the messages (case and spaces ignored).
STOP_WORDS = {"td", "t", "n", "退订", "取消", "stop", "unsubscribe"}


@csrf_exempt
@require_POST
def replies(request: HttpRequest, token: str) -> JsonResponse:
    expected = settings.SMS_REPLY_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404
    try:
        body = json.loads(request.body or b"[]")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"result": 1, "errmsg": "body is not JSON"}, status=400)
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        return JsonResponse({"result": 1, "errmsg": "expected a list of replies"}, status=400)
    stopped = 0
    for reply in body:
        if not isinstance(reply, dict):
            continue
        text = str(reply.get("text") or "").strip().lower()
        mobile = str(reply.get("mobile") or "")
        if mobile and text in STOP_WORDS:
            opt_out(mobile)
            stopped += 1
    # The provider's callback expects result 0 for "received".
    return JsonResponse({"result": 0, "errmsg": "OK", "stopped": stopped})
