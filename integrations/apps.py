from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("integrations")

    def ready(self) -> None:
        # issues knows nothing of integrations: it announces new timeline events through
        # issues.signals.events_recorded, and webhooks listen here.
        from issues.signals import events_recorded

        from .services import queue_deliveries

        def on_events(sender, event_ids, **kwargs):
            queue_deliveries(event_ids)

        events_recorded.connect(on_events, dispatch_uid="integrations.webhooks", weak=False)
