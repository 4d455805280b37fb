"""Celery tasks: thin wrappers over the services, safe to run twice or at once."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from . import sweep
from .models import IssueEvent
from .signals import events_recorded


@shared_task(acks_late=True)
def escalate_overdue_task(as_of: str | None = None) -> dict[str, int]:
    """The sweep, hourly and every five minutes after (settings.CELERY_BEAT_SCHEDULE): a run
    whose worker died is taken up by the next. Concurrent runs each move the rows they lock,
    and a moved issue's new deadline lies ahead, so no issue moves twice."""
    when = datetime.fromisoformat(as_of) if as_of else timezone.now()
    if timezone.is_naive(when):
        when = timezone.make_aware(when)  # a naive moment is Shanghai time
    return sweep.escalate_overdue(as_of=when)


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), max_retries=5, retry_backoff=True)
def process_events(event_ids: list[int]) -> None:
    """Side effects of new timeline events: email the new holder's office members and leaders
    on escalation (one message per holder and batch), and the raiser on resolution."""
    events = (
        IssueEvent.objects.filter(
            pk__in=event_ids, kind__in=[IssueEvent.Kind.ESCALATED, IssueEvent.Kind.RESOLVED]
        )
        .select_related("issue", "issue__holder", "issue__raised_by")
        .order_by("id")
    )
    escalated = defaultdict(list)
    messages = []
    for event in events:
        issue = event.issue
        if event.kind == IssueEvent.Kind.ESCALATED:
            escalated[issue.holder_id].append(issue)
        elif issue.raised_by and issue.raised_by.email:
            messages.append(
                (
                    _("Resolved: %(title)s") % {"title": issue.title},
                    _("Your issue #%(id)s was resolved: %(resolution)s\n%(url)s")
                    % {
                        "id": issue.pk,
                        "resolution": issue.resolution,
                        "url": f"{settings.SITE_URL}/issues/{issue.pk}/",
                    },
                    settings.DEFAULT_FROM_EMAIL,
                    [issue.raised_by.email],
                )
            )
    if escalated:
        recipients = defaultdict(set)
        for division_id, email in (
            get_user_model()
            .objects.filter(memberships__division_id__in=escalated.keys(), is_active=True)
            .exclude(email="")
            .values_list("memberships__division_id", "email")
        ):
            recipients[division_id].add(email)
        for holder_id, issues in escalated.items():
            if not recipients[holder_id]:
                continue
            lines = "\n".join(
                f"#{i.pk} {i.title} — {settings.SITE_URL}/issues/{i.pk}/" for i in issues
            )
            messages.append(
                (
                    _("%(count)s issue(s) escalated to %(holder)s")
                    % {
                        "count": len(issues),
                        "holder": issues[0].holder.name,
                    },
                    lines,
                    settings.DEFAULT_FROM_EMAIL,
                    sorted(recipients[holder_id]),
                )
            )
    if messages:
        send_mass_mail(messages, fail_silently=False)
    events_recorded.send(sender=IssueEvent, event_ids=list(event_ids))
