from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DurableConfig(AppConfig):
    """What must outlive a failure: work to queue after a commit (the outbox) and the answers
    to writes a client may send twice (idempotency keys). Depends on no other app."""

    name = "durable"
    verbose_name = _("durable work")
