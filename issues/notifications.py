"""Who is told what when events land on an issue's timeline.

On escalation, the members (office and leaders) of the new holder, one mail per holder and
batch; on resolution, the person who raised it. The work orders: an assignment tells the
members of the lead and co-handling departments; a hand-back the holder's office; an
extension request those who decide it, its decision the requester; a supervision order the
holder (the lead department, else the holder's office), its reply whoever issued it. This module only composes the messages;
issues.tasks.send_notifications sends them, separately from the webhooks, so that a mail
server that fails never holds back another channel.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from dispatch.models import Membership, ancestor_code, tier_above

from .models import Extension, IssueEvent

WORK_ORDER_KINDS = [
    IssueEvent.Kind.ASSIGNED,
    IssueEvent.Kind.HANDED_BACK,
    IssueEvent.Kind.EXTENSION_REQUESTED,
    IssueEvent.Kind.EXTENSION_DECIDED,
    IssueEvent.Kind.SUPERVISED,
    IssueEvent.Kind.SUPERVISION_REPLIED,
]


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
            pk__in=event_ids,
            kind__in=[IssueEvent.Kind.ESCALATED, IssueEvent.Kind.RESOLVED, *WORK_ORDER_KINDS],
        )
        .select_related("issue", "issue__holder", "issue__raised_by", "issue__supervision")
        .prefetch_related("co_departments")
        .order_by("id")
    )
    escalated = defaultdict(list)
    mails = []
    work = [e for e in events if e.kind in WORK_ORDER_KINDS]
    if work:
        mails += _work_order_mails(work)
    for event in events:
        issue = event.issue
        if event.kind in WORK_ORDER_KINDS:
            continue
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
        .objects.filter(
            memberships__division_id__in=escalated.keys(),
            memberships__role__in=[Membership.Role.OFFICE, Membership.Role.LEADER],
            is_active=True,
        )
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


def _work_order_mails(events: list[IssueEvent]) -> list[Mail]:
    """One mail per work-order event to whom it concerns (three more queries in all: the
    departments' members, the offices' members, the users named by id)."""
    wanted: list[tuple[IssueEvent, str, object]] = []  # (event, "dept"|"office"|"user", key)
    requesters = {}
    decided = [e.issue_id for e in events if e.kind == IssueEvent.Kind.EXTENSION_DECIDED]
    if decided:
        for issue_id, user_id in (
            Extension.objects.filter(issue_id__in=decided, decided_at__isnull=False)
            .order_by("issue_id", "decided_at")
            .values_list("issue_id", "requested_by_id")
        ):
            requesters[issue_id] = user_id  # the latest decision wins
    for event in events:
        issue = event.issue
        kind = event.kind
        if kind == IssueEvent.Kind.ASSIGNED:
            wanted.append((event, "dept", event.department_id))
            wanted += [(event, "dept", d.pk) for d in event.co_departments.all()]
        elif kind == IssueEvent.Kind.HANDED_BACK:
            wanted.append((event, "office", issue.holder_id))
        elif kind == IssueEvent.Kind.EXTENSION_REQUESTED:
            above = tier_above(issue.tier)
            if event.department_id is not None or above is None:
                wanted.append((event, "office", issue.holder_id))
            else:
                wanted.append((event, "office", ancestor_code(issue.holder_id, above)))
        elif kind == IssueEvent.Kind.EXTENSION_DECIDED:
            wanted.append((event, "user", requesters.get(issue.pk)))
        elif kind == IssueEvent.Kind.SUPERVISED:
            if event.department_id is not None:
                wanted.append((event, "dept", event.department_id))
            else:
                wanted.append((event, "office", issue.holder_id))
        elif kind == IssueEvent.Kind.SUPERVISION_REPLIED and issue.supervision is not None:
            wanted.append((event, "user", issue.supervision.issued_by_id))
    emails: dict[tuple[str, object], set[str]] = defaultdict(set)
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    depts = {key for _e, kind, key in wanted if kind == "dept" and key}
    offices = {key for _e, kind, key in wanted if kind == "office" and key}
    people = {key for _e, kind, key in wanted if kind == "user" and key}
    if depts:
        for dept, email in users.filter(memberships__department_id__in=depts).values_list(
            "memberships__department_id", "email"
        ):
            emails["dept", dept].add(email)
    if offices:
        for code, email in users.filter(
            memberships__division_id__in=offices, memberships__role=Membership.Role.OFFICE
        ).values_list("memberships__division_id", "email"):
            emails["office", code].add(email)
    if people:
        for pk, email in users.filter(pk__in=people).values_list("pk", "email"):
            emails["user", pk].add(email)
    mails = []
    for event, kind, key in wanted:
        recipients = sorted(emails.get((kind, key), ()))
        if not recipients:
            continue
        issue = event.issue
        mails.append(
            Mail(
                _("%(what)s: %(title)s") % {"what": event.get_kind_display(), "title": issue.title},
                f"#{issue.pk} {issue.title}\n{event.note}\n{_link(issue.pk)}".replace("\n\n", "\n"),
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
        )
    return mails
