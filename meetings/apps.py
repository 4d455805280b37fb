from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("meetings")

    def ready(self) -> None:
        # An issue that reaches a town after its meeting was convened joins the agenda late;
        # issues knows nothing of meetings and announces its events (after commit, by a task).
        from issues.models import IssueEvent
        from issues.signals import events_recorded

        from .services import add_late_items

        def on_events(sender, event_ids, **kwargs):
            arrived = IssueEvent.objects.filter(
                pk__in=event_ids,
                tier_to="town",
                kind__in=[IssueEvent.Kind.ESCALATED, IssueEvent.Kind.RETURNED],
            ).values_list("issue_id", flat=True)
            add_late_items(list(arrived))

        events_recorded.connect(on_events, dispatch_uid="meetings.late_items", weak=False)
