"""The Tencent Cloud SMS backend through the provider's own SDK, against a stand-in of its API
on 127.0.0.1 that checks each request's TC3-HMAC-SHA256 signature the way the provider does
(computed here from its published description, not by the SDK)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from issues import services
from issues.models import Issue
from sms.backends import Outgoing, PermanentError, TransientError, get_backend
from sms.models import TextMessage

from .. import workers
from ..factories import CategoryFactory

SECRET_ID = "AKIDexampleexampleexample"
SECRET_KEY = "examplesecretkeyexamplesecretkey"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(method: str, path: str, headers: dict, body: bytes) -> tuple[str, str]:
    """The Authorization header the provider expects for this request, and the action."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = int(lower["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            method,
            path,
            "",
            f"content-type:{lower['content-type'].lower()}\nhost:{lower['host'].lower()}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = _hmac(_hmac(_hmac(("TC3" + SECRET_KEY).encode(), date), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )


class StandIn:
    """The provider's SendSms API: 401-like error when the signature is wrong, otherwise the
    answer `respond(n)` gives for the n-th call: "ok", "down" (HTTP 502) or an error code."""

    def __init__(self, respond=lambda n: "ok"):
        self.respond = respond
        self.calls: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers)
                signed = headers.get("Authorization") == expected_signature(
                    "POST", self.path, headers, body
                )
                stand_in.calls.append(
                    {"headers": headers, "json": json.loads(body), "signed": signed}
                )
                answer = (
                    "AuthFailure.SignatureFailure"
                    if not signed
                    else stand_in.respond(len(stand_in.calls))
                )
                if answer == "down":
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if answer == "ok":
                    payload = {
                        "SendStatusSet": [
                            {
                                "SerialNo": f"2640:{len(stand_in.calls)}",
                                "PhoneNumber": stand_in.calls[-1]["json"]["PhoneNumberSet"][0],
                                "Fee": 1,
                                "SessionContext": "",
                                "Code": "Ok",
                                "Message": "send success",
                                "IsoCode": "CN",
                            }
                        ],
                        "RequestId": "a0aabda6-cf91-4f3e-a2e0-1a2b3c4d5e6f",
                    }
                else:
                    payload = {
                        "Error": {"Code": answer, "Message": answer},
                        "RequestId": "b0aabda6-cf91-4f3e-a2e0-1a2b3c4d5e6f",
                    }
                data = json.dumps({"Response": payload}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tencent(settings):
    settings.SMS_BACKEND = "tencent"
    settings.SMS_TENCENT_SECRET_ID = SECRET_ID
    settings.SMS_TENCENT_SECRET_KEY = SECRET_KEY
    settings.SMS_TENCENT_APP_ID = "1400000001"
    settings.SMS_TENCENT_SCHEME = "http"
    settings.SMS_TENCENT_REGION = "ap-guangzhou"
    settings.SMS_SIGN_NAME = "绍兴三服务"
    settings.SMS_TEMPLATES = {"tracking": "1100001", "rating": "1100002", "notice": "1100003"}
    settings.SMS_TIMEOUT = 5
    return settings


def test_the_sdk_signs_a_template_message_the_provider_accepts(tencent):
    with StandIn() as stand_in:
        tencent.SMS_TENCENT_ENDPOINT = stand_in.endpoint
        serial = get_backend().send(
            Outgoing("13812345678", "…", "tracking", ["42", "http://x/r/t/"])
        )
    [call] = stand_in.calls
    assert call["signed"], call["headers"].get("Authorization")
    assert call["headers"]["X-TC-Action"] == "SendSms"
    assert call["json"] == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400000001",
        "SignName": "绍兴三服务",
        "TemplateId": "1100001",
        "TemplateParamSet": ["42", "http://x/r/t/"],
    }
    assert serial == "2640:1"


def test_a_wrong_key_is_refused_by_the_stand_in_and_is_permanent(tencent):
    with StandIn() as stand_in:
        tencent.SMS_TENCENT_ENDPOINT = stand_in.endpoint
        tencent.SMS_TENCENT_SECRET_KEY = "not-the-key"
        with pytest.raises(PermanentError, match="SignatureFailure"):
            get_backend().send(Outgoing("13812345678", "…", "tracking", ["1", "l"]))
    assert stand_in.calls[0]["signed"] is False


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("down", TransientError),
        ("RequestLimitExceeded", TransientError),
        ("InternalError.Timeout", TransientError),
        ("FailedOperation.PhoneNumberInBlacklist", PermanentError),
    ],
)
def test_outages_are_transient_and_refusals_permanent(tencent, answer, error):
    with StandIn(lambda n: answer) as stand_in:
        tencent.SMS_TENCENT_ENDPOINT = stand_in.endpoint
        with pytest.raises(error):
            get_backend().send(Outgoing("13812345678", "…", "rating", ["1", "a", "l"]))


def test_an_unreachable_provider_is_transient(tencent):
    tencent.SMS_TENCENT_ENDPOINT = f"127.0.0.1:{workers.closed_port()}"
    with pytest.raises(TransientError):
        get_backend().send(Outgoing("13812345678", "…", "tracking", ["1", "l"]))


@pytest.fixture
def worker(transactional_db):
    with workers.in_process_worker() as app:
        yield app


@pytest.mark.slow
def test_a_provider_outage_leaves_the_transition_committed_and_the_message_retried(
    worker, tencent, shaoxing, village_cadre
):
    tencent.SMS_RETRY_BACKOFF = 0
    CategoryFactory(code="water")
    with StandIn(lambda n: "down" if n == 1 else "ok") as stand_in:
        tencent.SMS_TENCENT_ENDPOINT = stand_in.endpoint
        issue = services.raise_issue(
            actor=village_cadre,
            division=shaoxing.lanting_village,
            category="water",
            title="水管破裂",
            reporter_phone="13812345678",
        )
        assert Issue.objects.filter(pk=issue.pk).exists()

        def sent():
            return TextMessage.objects.filter(status="sent").exists()

        assert workers.wait_for(sent), list(TextMessage.objects.values())
    message = TextMessage.objects.get()
    assert message.attempts == 2 and message.provider_id == "2640:2"
    assert [c["signed"] for c in stand_in.calls] == [True, True]
    [number, link] = stand_in.calls[1]["json"]["TemplateParamSet"]
    assert number == str(issue.pk) and re.search(r"/r/[^/]+/$", link)


@pytest.mark.slow
def test_a_provider_down_for_good_marks_the_message_failed(
    worker, tencent, shaoxing, village_cadre
):
    tencent.SMS_RETRY_BACKOFF = 0
    tencent.SMS_MAX_RETRIES = 2
    CategoryFactory(code="water")
    with StandIn(lambda n: "down") as stand_in:
        tencent.SMS_TENCENT_ENDPOINT = stand_in.endpoint
        services.raise_issue(
            actor=village_cadre,
            division=shaoxing.lanting_village,
            category="water",
            title="水管破裂",
            reporter_phone="13812345678",
        )
        assert workers.wait_for(lambda: TextMessage.objects.filter(status="failed").exists())
    message = TextMessage.objects.get()
    assert message.attempts == 3 and "ServerNetworkError" in message.error
    assert len(stand_in.calls) == 3
