from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """What the office running sanbufu watches: health probes, Prometheus metrics, log
    context and the last run of each scheduled task. Reads every app; none imports it."""

    name = "ops"
    verbose_name = _("operations")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (Celery and database hooks)
