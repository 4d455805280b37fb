"""Tencent Cloud SMS (腾讯云短信) through its official SDK (tencentcloud-sdk-python-sms).

Tencent sends templates only: each message names a template of settings.SMS_TEMPLATES
(approved in the console, with the signing name SMS_TENCENT_SIGN_NAME) and its parameters.
The SDK signs every request (TC3-HMAC-SHA256) with the secret id and key.
"""

from __future__ import annotations

from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from .backends import BaseBackend, Outgoing, PermanentError, TransientError

# Error codes after which the same request may succeed later: the network, the provider's
# own failures and its rate limits. Every other code is a refusal of this message.
TRANSIENT_CODES = (
    "ClientNetworkError",
    "ServerNetworkError",
    "InternalError",
    "RequestLimitExceeded",
)


def _transient(code: str) -> bool:
    return code.startswith(TRANSIENT_CODES) or code == "LimitExceeded.AppDailyLimit"


class TencentBackend(BaseBackend):
    def __init__(self) -> None:
        http = HttpProfile(
            protocol=settings.SMS_TENCENT_SCHEME,
            endpoint=settings.SMS_TENCENT_ENDPOINT,
            reqTimeout=settings.SMS_TIMEOUT,
        )
        self.client = sms_client.SmsClient(
            credential.Credential(settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY),
            settings.SMS_TENCENT_REGION,
            ClientProfile(httpProfile=http),
        )

    def send(self, message: Outgoing) -> str:
        template_id = settings.SMS_TEMPLATES.get(message.template)
        if not template_id:
            raise PermanentError(f"no template configured for {message.template!r}")
        phone = message.phone if message.phone.startswith("+") else f"+86{message.phone}"
        request = models.SendSmsRequest()
        request.SmsSdkAppId = settings.SMS_TENCENT_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = template_id
        request.TemplateParamSet = [str(p) for p in message.params]
        request.PhoneNumberSet = [phone]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or ""
            error = TransientError if _transient(code) else PermanentError
            raise error(f"{code}: {exc.get_message()}") from exc
        except OSError as exc:  # a connection refused or reset below the SDK's own handling
            raise TransientError(str(exc)) from exc
        status = response.SendStatusSet[0] if response.SendStatusSet else None
        if status is None:
            raise TransientError("the provider answered without a status")
        if status.Code != "Ok":
            error = TransientError if _transient(status.Code) else PermanentError
            raise error(f"{status.Code}: {status.Message}")
        return status.SerialNo or ""
