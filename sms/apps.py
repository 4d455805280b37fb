from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    """Text messages: a record of every message, the backends that send them (chosen by
    settings.SMS_BACKEND, as Django chooses its mail backend) and the opt-out list. Depends on
    no other app but `durable`."""

    name = "sms"
    verbose_name = _("text messages")
