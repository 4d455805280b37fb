"""Who is told what when events land on an issue's timeline.

- The resident who reported it (a text message to the reporter's phone): its number and a
  tracking link when it is raised; the answer in one line and a link to rate it when resolved.
- Staff, in their inbox (`INBOX`: which event kinds concern whom), and by email and text
  message as each user's NotificationPreference says (email on, text off by default).
- Each morning, each holder of amber and red issues: one reminder of them (催办).

This module only composes; issues.tasks sends, one task per channel (mail, inbox, text), so
that one failing transport never holds back another or the webhooks.

The work orders, by mail: an assignment tells the members of the lead and co-handling
departments; a hand-back the holder's office; an extension request those who decide it, its
decision the requester; a supervision order the holder (the lead department, else the
holder's office), its reply whoever issued it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dispatch.models import Membership, Posting, Tier, ancestor_code, tier_above

from .models import (
    Extension,
    Issue,
    IssueEvent,
    IssueReport,
    Notification,
    NotificationPreference,
    Rating,
)
from .tracking import resident_link

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
    return f"{settings.SITE_URL.rstrip('/')}/issues/{issue_id}/"


def _no_mail() -> set[int]:
    return set(NotificationPreference.objects.filter(email=False).values_list("user_id", flat=True))


def _line(event: IssueEvent) -> str:
    issue = event.issue
    if event.kind == IssueEvent.Kind.RESOLVED:
        return _("Your issue #%(id)s was resolved: %(resolution)s\n%(url)s") % {
            "id": issue.pk,
            "resolution": issue.resolution,
            "url": _link(issue.pk),
        }
    return f"{event.get_kind_display()}: #{issue.pk} {issue.title} — {_link(issue.pk)}"


def mails_for(event_ids: list[int]) -> list[Mail]:
    """The mail these events call for: the inbox's (`INBOX`) by mail, and the work orders'
    to the departments and offices they concern. A fixed number of queries."""
    work = list(
        IssueEvent.objects.filter(pk__in=event_ids, kind__in=WORK_ORDER_KINDS)
        .select_related("issue", "issue__holder", "issue__supervision")
        .prefetch_related("co_departments")
        .order_by("id")
    )
    return _inbox_mails(event_ids) + (_work_order_mails(work) if work else [])


def _inbox_mails(event_ids: list[int]) -> list[Mail]:
    """The mail these events call for: to each user they concern (`INBOX`) with an address
    who has not turned mail off, one mail per batch; users told of the same events share one
    mail. A fixed number of queries, however many events and users."""
    # The work orders' steps have mails of their own (_work_order_mails).
    pairs = concerned(event_ids, kinds=[k for k in INBOX if k not in WORK_ORDER_KINDS])
    if not pairs:
        return []
    emails = dict(
        get_user_model()
        .objects.filter(pk__in={u for u, _e in pairs}, is_active=True)
        .exclude(email="")
        .exclude(pk__in=_no_mail())
        .values_list("pk", "email")
    )
    events_of: dict[int, list[int]] = defaultdict(list)
    for user_id, event_id in pairs:
        if user_id in emails:
            events_of[user_id].append(event_id)
    if not events_of:
        return []
    events = IssueEvent.objects.select_related("issue").in_bulk(
        {e for ids in events_of.values() for e in ids}
    )
    shared: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for user_id, ids in events_of.items():
        shared[tuple(sorted(ids))].append(emails[user_id])
    mails = []
    for told, recipients in sorted(shared.items()):
        lines = [_line(events[e]) for e in told]
        first = events[told[0]]
        subject = (
            f"{first.get_kind_display()}: {first.issue.title}"
            if len(told) == 1
            else _("%(count)s updates on your issues") % {"count": len(told)}
        )
        mails.append(
            Mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, sorted(recipients))
        )
    return mails


def _work_order_mails(events: list[IssueEvent]) -> list[Mail]:
    """One mail per work-order event to whom it concerns (three more queries in all: the
    departments' members, the offices' members, the users named by id)."""
    wanted: list[tuple[IssueEvent, str, Any]] = []  # (event, "dept"|"office"|"user", key)
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
    emails: dict[tuple[str, Any], set[str]] = defaultdict(set)
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


# The resident's messages ----------------------------------------------------------------------

# One segment of a text message in Chinese (UCS-2) holds 70 characters.
SEGMENT = 70


class Text(NamedTuple):
    """One text message: the full text (console, file and text-accepting providers) and the
    provider template with its parameters (template-only providers)."""

    phone: str
    text: str
    template: str
    params: list[str]


def _shorten(text: str, room: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def resident_texts(event_ids: list[int]) -> list[Text]:
    """The reporter's messages these events call for (one query): raised (the number and the
    tracking link) and resolved (the answer, shortened to keep the message in one segment
    where it can, and the rating link). In Chinese, whatever the language of the request."""
    texts = []
    # Every further reporter of a resolved issue (linked, or merged into it) hears the answer
    # too: one more query, for the issues resolved among these events.
    others: dict[int, list[str]] = {}
    for issue_id, phone in (
        IssueReport.objects.filter(
            issue__events__pk__in=event_ids,
            issue__events__kind=IssueEvent.Kind.RESOLVED,
            issue__anonymised_at__isnull=True,
        )
        .exclude(reporter_phone="")
        .values_list("issue_id", "reporter_phone")
        .distinct()
        .order_by("issue_id", "reporter_phone")
    ):
        others.setdefault(issue_id, []).append(phone)
    events = (
        IssueEvent.objects.filter(
            pk__in=event_ids,
            kind__in=[IssueEvent.Kind.RAISED, IssueEvent.Kind.RESOLVED],
            issue__anonymised_at__isnull=True,
        )
        .exclude(Q(issue__reporter_phone="") & ~Q(issue_id__in=list(others)))
        .values("kind", "issue_id", "issue__reporter_phone", "issue__resolution")
        .order_by("id")
    )
    with translation.override(settings.LANGUAGE_CODE):
        for event in events:
            number, link = str(event["issue_id"]), resident_link(event["issue_id"])
            if event["kind"] == IssueEvent.Kind.RAISED:
                if not event["issue__reporter_phone"]:
                    continue
                text = _("Your issue was received, number %(number)s. Progress: %(link)s") % {
                    "number": number,
                    "link": link,
                }
                texts.append(Text(event["issue__reporter_phone"], text, "tracking", [number, link]))
                continue
            shell = _("Issue %(number)s resolved: %(answer)s. Rate it: %(link)s")
            room = SEGMENT - len(shell % {"number": number, "answer": "", "link": link})
            answer = _shorten(event["issue__resolution"], max(room, 8))
            text = shell % {"number": number, "answer": answer, "link": link}
            phones = [event["issue__reporter_phone"], *others.pop(event["issue_id"], [])]
            for phone in dict.fromkeys(p for p in phones if p):
                texts.append(Text(phone, text, "rating", [number, answer, link]))
    return texts


# The inbox --------------------------------------------------------------------------------------


def _unsatisfied(event: Mapping[str, Any]) -> bool:
    return event["rating"] == Rating.UNSATISFIED


def _always(event: Mapping[str, Any]) -> bool:
    return True


# Which events concern whom, by kind: the audiences, and a test of the event. Audiences:
# "holder" the office members and leaders of the issue's holder (its department's office until
# departments have members of their own), "raiser" who raised it, "claimer" the leader who
# claimed it. Whoever acted is never told of their own act.
INBOX: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any]], bool]]] = {
    IssueEvent.Kind.ESCALATED: (("holder",), _always),
    IssueEvent.Kind.RETURNED: (("holder",), _always),
    IssueEvent.Kind.ASSIGNED: (("department",), _always),
    IssueEvent.Kind.HANDED_BACK: (("holder",), _always),
    IssueEvent.Kind.EXTENSION_REQUESTED: (("holder",), _always),
    IssueEvent.Kind.EXTENSION_DECIDED: (("department",), _always),
    IssueEvent.Kind.SUPERVISION_REPLIED: (("holder",), _always),
    IssueEvent.Kind.CLAIMED: (("raiser",), _always),
    IssueEvent.Kind.SUPERVISED: (("holder", "claimer"), _always),
    IssueEvent.Kind.RESOLVED: (("raiser",), _always),
    IssueEvent.Kind.FEEDBACK: (("holder", "raiser"), _unsatisfied),
    IssueEvent.Kind.FOLLOWED_UP: (("holder", "raiser"), _unsatisfied),
}


def concerned(event_ids: list[int], *, kinds=None) -> list[tuple[int, int]]:
    """(user id, event id) for every user these events concern (at most three queries,
    however many events); `kinds` limits them to those kinds."""
    events = IssueEvent.objects.filter(pk__in=event_ids, kind__in=kinds or list(INBOX)).values(
        "pk",
        "kind",
        "rating",
        "department_id",
        "actor_id",
        "tier_to",
        "issue__division_id",
        "issue__raised_by_id",
        "issue__claimed_by_id",
    )
    pairs: set[tuple[int, int]] = set()
    by_holder: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    by_department: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for event in events:
        audiences, applies = INBOX[event["kind"]]
        if not applies(event):
            continue
        for audience in audiences:
            if audience == "holder":
                # The holder when the event happened (the issue may have moved on since).
                holder = ancestor_code(event["issue__division_id"], event["tier_to"])
                by_holder[holder].append(event)
            elif audience == "department" and event["department_id"]:
                by_department[event["department_id"]].append(event)
            elif audience == "raiser" and event["issue__raised_by_id"]:
                pairs.add((event["issue__raised_by_id"], event["pk"]))
            elif audience == "claimer" and event["issue__claimed_by_id"]:
                pairs.add((event["issue__claimed_by_id"], event["pk"]))
    if by_holder:
        for division_id, user_id in Membership.objects.filter(
            division_id__in=by_holder,
            role__in=[Membership.Role.OFFICE, Membership.Role.LEADER],
            user__is_active=True,
        ).values_list("division_id", "user_id"):
            pairs.update((user_id, event["pk"]) for event in by_holder[division_id])
    if by_department:
        for department_id, user_id in Membership.objects.filter(
            department_id__in=by_department, user__is_active=True
        ).values_list("department_id", "user_id"):
            pairs.update((user_id, event["pk"]) for event in by_department[department_id])
    actors = {event["pk"]: event["actor_id"] for event in events}
    return sorted((u, e) for u, e in pairs if actors.get(e) != u)


def add_to_inboxes(event_ids: list[int]) -> int:
    """Put these events in the inboxes of whom they concern; safe to run twice."""
    rows = [Notification(user_id=u, event_id=e) for u, e in concerned(event_ids)]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def staff_texts(event_ids: list[int]) -> list[Text]:
    """Text messages to the concerned users who asked for them (NotificationPreference.sms)."""
    pairs = concerned(event_ids)
    if not pairs:
        return []
    phones = dict(
        NotificationPreference.objects.filter(user_id__in={u for u, _e in pairs}, sms=True)
        .exclude(phone="")
        .values_list("user_id", "phone")
    )
    if not phones:
        return []
    events = IssueEvent.objects.in_bulk([e for u, e in pairs if u in phones])
    texts = []
    with translation.override(settings.LANGUAGE_CODE):
        for user_id, event_id in pairs:
            event = events.get(event_id)
            if user_id not in phones or event is None:
                continue
            what = f"{event.get_kind_display()} #{event.issue_id}"
            link = _link(event.issue_id)
            texts.append(Text(phones[user_id], f"{what} {link}", "notice", [what, link]))
    return texts


# The morning reminder (催办) ---------------------------------------------------------------------

# The longest stay any tier allows, in calendar days: an issue whose deadline lies further
# ahead than a third of it cannot be amber yet, so the digest never reads it.
_LONGEST_STAY_DAYS = 60


def digest(now: datetime | None = None) -> tuple[list[Mail], list[Text]]:
    """One reminder to each holder of amber and red issues: mail and text by preference.

    Set-based: one streamed query of the unresolved issues near or past their deadline (their
    ids, holder and times only), one for the members and cadres of their holders, one for
    preferences; the colour of each is decided from the times already read.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=_LONGEST_STAY_DAYS / 3)
    amber_share = settings.SANBUFU_AMBER_FRACTION
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # holder: [amber, red]
    village_holders: set[str] = set()
    for holder_id, tier, arrived, due in (
        Issue.objects.unresolved()
        .filter(due_at__lt=horizon)
        .order_by()
        .values_list("holder_id", "tier", "arrived_at", "due_at")
        .iterator(chunk_size=5000)
    ):
        if due < now:
            counts[holder_id][1] += 1
        else:
            span = (due - arrived).total_seconds()
            if span > 0 and (now - arrived).total_seconds() / span >= amber_share:
                counts[holder_id][0] += 1
            else:
                continue
        if tier == Tier.VILLAGE:
            village_holders.add(holder_id)
    if not counts:
        return [], []
    holders_of: dict[int, set[str]] = defaultdict(set)
    for division_id, user_id in Membership.objects.filter(
        division_id__in=set(counts) - village_holders, user__is_active=True
    ).values_list("division_id", "user_id"):
        holders_of[user_id].add(division_id)
    for division_id, user_id in (
        Posting.objects.active()
        .filter(division_id__in=village_holders, cadre__user__is_active=True)
        .values_list("division_id", "cadre__user_id")
    ):
        holders_of[user_id].add(division_id)
    users = get_user_model().objects.filter(pk__in=holders_of).values_list("pk", "email")
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=holders_of)}
    mails, texts = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for user_id, email in users:
            amber = sum(counts[d][0] for d in holders_of[user_id])
            red = sum(counts[d][1] for d in holders_of[user_id])
            line = _("%(red)s overdue and %(amber)s nearly due issues await you.") % {
                "red": red,
                "amber": amber,
            }
            link = f"{settings.SITE_URL.rstrip('/')}/issues/"
            pref = prefs.get(user_id)
            if email and (pref is None or pref.email):
                mails.append(
                    Mail(
                        _("Reminder: issues due"),
                        f"{line}\n{link}",
                        settings.DEFAULT_FROM_EMAIL,
                        [email],
                    )
                )
            if pref is not None and pref.sms and pref.phone:
                texts.append(Text(pref.phone, f"{line} {link}", "notice", [line, link]))
    return mails, texts
