"""Who is told what when events land on an issue's timeline.

On escalation, the members (office and leaders) of the new holder, one mail per holder and
batch; on resolution, the person who raised it. This module only composes the messages;
issues.tasks.send_notifications sends them, separately from the webhooks, so that a mail
server that fails never holds back another channel.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from .models import IssueEvent


class Mail(NamedTuple):
    """One message, in the shape django.core.mail.send_mass_mail takes."""

    subject: str
    body: str
    from_email: str
    recipients: list[str]


def _link(issue_id: int) -> str:
    return f"{settings.SITE_URL}/issues/{issue_id}/"


def mails_for(event_ids: list[int]) -> list[Mail]:
    """The mail these events call for (three queries, however many events)."""
    events = (
        IssueEvent.objects.filter(
            pk__in=event_ids, kind__in=[IssueEvent.Kind.ESCALATED, IssueEvent.Kind.RESOLVED]
        )
        .select_related("issue", "issue__holder", "issue__raised_by")
        .order_by("id")
    )
    escalated = defaultdict(list)
    mails = []
    for event in events:
        issue = event.issue
        if event.kind == IssueEvent.Kind.ESCALATED:
            escalated[issue.holder_id].append(issue)
        elif issue.raised_by and issue.raised_by.email:
            mails.append(
                Mail(
                    _("Resolved: %(title)s") % {"title": issue.title},
                    _("Your issue #%(id)s was resolved: %(resolution)s\n%(url)s")
                    % {"id": issue.pk, "resolution": issue.resolution, "url": _link(issue.pk)},
                    settings.DEFAULT_FROM_EMAIL,
                    [issue.raised_by.email],
                )
            )
    if not escalated:
        return mails
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
        mails.append(
            Mail(
                _("%(count)s issue(s) escalated to %(holder)s")
                % {"count": len(issues), "holder": issues[0].holder.name},
                "\n".join(f"#{i.pk} {i.title} — {_link(i.pk)}" for i in issues),
                settings.DEFAULT_FROM_EMAIL,
                sorted(recipients[holder_id]),
            )
        )
    return mails
