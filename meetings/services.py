"""The town's weekly analysis meeting (民(企)情分析例会): convened once per town and ISO week,
its agenda every unresolved issue the town holds; each decision applies an issue transition
through issues.services, so the issue's timeline records it like any other.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotFound, NotPermitted, TransitionError
from common.weeks import current_week, parse_week
from dispatch.models import (
    PREFIX_LENGTH,
    Department,
    Division,
    Membership,
    Posting,
    Tier,
    code_prefix,
)
from dispatch.services import jurisdiction
from issues import rules
from issues.models import Issue
from issues.selectors import stats, town_stats
from issues.services import (
    assign_issue,
    comment_issue,
    escalate_issue,
    record_decision_correction,
    resolve_issue,
    return_issue,
)

from .models import AgendaItem, DecisionCorrection, Meeting

if TYPE_CHECKING:
    from dispatch.actors import Actor


def this_weeks_meetings(
    user: Actor, now: datetime | None = None
) -> list[tuple[Division, Meeting | None]]:
    """The towns where `user` is an office member, each with this week's meeting or None
    (to convene it): the dashboard's and the meeting list's call to action."""
    j = jurisdiction(user)
    if j.is_superuser:
        return []
    towns = list(Division.objects.filter(code__in=j.office_at, tier=Tier.TOWN).order_by("code"))
    meetings = {
        m.town_id: m
        for m in Meeting.objects.filter(town__in=[t.code for t in towns], week=current_week(now))
    }
    return [(town, meetings.get(town.code)) for town in towns]


def _week_stats(town: Division, monday: date) -> dict:
    snapshot = stats(
        Issue.objects.all(), within=town.code, since=monday, until=monday + timedelta(6)
    )
    snapshot["since"] = snapshot["since"].isoformat()
    snapshot["until"] = snapshot["until"].isoformat()
    return snapshot


def convene_meeting(*, town: Division | str, week: str, now: datetime | None = None):
    """Convene `town`'s meeting for ISO `week` (`2026-W48`); the system calls this (the Monday
    task, the command). The agenda is every unresolved issue the town holds, each marked `new`
    when no earlier meeting of the town had it; `stats` is a snapshot of the town's week.

    Idempotent and safe to run at once from several workers: the unique (town, week)
    constraint lets exactly one insert win; the others return the winner's meeting, whose
    agenda was written in the same transaction. Raises ValidationError for a bad week or a
    division that is not a town.
    """
    monday = parse_week(week)
    found = town if isinstance(town, Division) else Division.objects.filter(code=town).first()
    if found is None or found.tier != Tier.TOWN:
        raise ValidationError({"town": [_("Meetings are held by towns.")]})
    town = found
    now = now or timezone.now()
    existing = Meeting.objects.filter(town=town, week=week).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                town=town, week=week, convened_at=now, stats=_week_stats(town, monday)
            )
            on_earlier = AgendaItem.objects.filter(
                issue=OuterRef("pk"), meeting__town=town, meeting__week__lt=week
            )
            rows = (
                Issue.objects.filter(holder=town)
                .unresolved()
                .annotate(seen=Exists(on_earlier))
                .order_by("id")
                .values_list("id", "seen")
            )
            AgendaItem.objects.bulk_create(
                AgendaItem(meeting=meeting, issue_id=pk, new=not seen) for pk, seen in rows
            )
    except IntegrityError:
        # Another worker convened it between our read and our insert; theirs stands.
        return Meeting.objects.get(town=town, week=week)
    return meeting


def add_late_items(issue_ids: list[int]) -> int:
    """Put issues that reached a town after its meeting of this week was convened on that
    open meeting's agenda, marked late (and new when no earlier meeting had them). Issues no
    longer unresolved at town tier, or already on the agenda, are left alone, so calling it
    twice adds nothing. Set-based: three queries whatever the number of issues. Returns how
    many items it added."""
    if not issue_ids:
        return 0
    keep = PREFIX_LENGTH[Tier.TOWN]
    issues = list(
        Issue.objects.filter(pk__in=issue_ids, tier=Tier.TOWN)
        .unresolved()
        .values_list("pk", "holder_id")
    )
    if not issues:
        return 0
    week = current_week()
    meetings = {
        m.town_id: m
        for m in Meeting.objects.filter(
            town_id__in={holder for _pk, holder in issues}, week=week, status=Meeting.Status.OPEN
        )
    }
    already = set(
        AgendaItem.objects.filter(
            meeting__in=meetings.values(), issue_id__in=[pk for pk, _h in issues]
        ).values_list("meeting_id", "issue_id")
    )
    seen = set(
        AgendaItem.objects.filter(
            issue_id__in=[pk for pk, _h in issues], meeting__week__lt=week
        ).values_list("issue_id", "meeting__town_id")
    )
    items = [
        AgendaItem(
            meeting=meetings[holder],
            issue_id=pk,
            late=True,
            new=(pk, holder[:keep] + "0" * (12 - keep)) not in seen,
        )
        for pk, holder in issues
        if holder in meetings and (meetings[holder].pk, pk) not in already
    ]
    return len(AgendaItem.objects.bulk_create(items, ignore_conflicts=True))


def convene_meetings(*, week: str | None = None, now: datetime | None = None) -> dict:
    """Convene `week`'s meeting (default: the current ISO week in Asia/Shanghai) for every
    town with issues from its territory or with members. Safe to run twice: existing meetings
    are left as they are. Returns the week and the town codes convened and already there."""
    now = now or timezone.now()
    week = week or current_week(now)
    monday = parse_week(week)
    keep = PREFIX_LENGTH[Tier.TOWN]
    # The towns of every origin, in one grouped query, and the towns with members.
    with_issues = (
        Issue.objects.order_by()
        .annotate(town=Concat(Substr("division_id", 1, keep), Value("0" * (12 - keep))))
        .values_list("town", flat=True)
        .distinct()
    )
    with_members = Membership.objects.filter(division__tier=Tier.TOWN).values_list(
        "division_id", flat=True
    )
    codes = set(with_issues) | set(with_members)
    towns = list(
        Division.objects.filter(code__in=codes, tier=Tier.TOWN)
        .order_by("code")
        .values_list("code", flat=True)
    )
    already = set(Meeting.objects.filter(week=week).values_list("town_id", flat=True))
    todo = [code for code in towns if code not in already]
    mine: list[str] = []
    if todo:
        snapshots = town_stats(todo, since=monday, until=monday + timedelta(6))
        with transaction.atomic():
            # A meeting another worker convened meanwhile stands (the unique constraint
            # ignores ours); ours are those convened at `now`, and only they get agendas.
            Meeting.objects.bulk_create(
                [
                    Meeting(town_id=code, week=week, convened_at=now, stats=_json(snapshots[code]))
                    for code in todo
                ],
                ignore_conflicts=True,
                batch_size=1000,
            )
            meetings = dict(
                Meeting.objects.filter(week=week, town_id__in=todo, convened_at=now).values_list(
                    "id", "town_id"
                )
            )
            _write_agendas(list(meetings), week)
            mine = sorted(meetings.values())
    existing = sorted(set(towns) - set(mine))
    return {"week": week, "convened": mine, "existing": existing}


def _json(snapshot: dict) -> dict:
    return {
        **snapshot,
        "since": snapshot["since"].isoformat(),
        "until": snapshot["until"].isoformat(),
    }


def _write_agendas(meeting_ids: list[int], week: str) -> None:
    """Every meeting's agenda in one INSERT ... SELECT: the unresolved issues its town holds,
    each `new` when no earlier meeting of the town had it. Columns other than these four
    take their model defaults (so a field added to AgendaItem needs no change here)."""
    if not meeting_ids:
        return
    qn = connection.ops.quote_name
    fields = [
        f
        for f in AgendaItem._meta.concrete_fields
        if not f.primary_key and f.attname not in ("meeting_id", "issue_id", "new")
    ]
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in fields]
    issue, meeting, item = (
        qn(Issue._meta.db_table),
        qn(Meeting._meta.db_table),
        qn(AgendaItem._meta.db_table),
    )
    columns = ", ".join(qn(f.column) for f in fields if f.column)
    placeholders = ", ".join(["%s"] * len(fields))
    ids = ", ".join(["%s"] * len(meeting_ids))
    sql = f"""
        INSERT INTO {item} (meeting_id, issue_id, {qn("new")}, {columns})
        SELECT m.id, i.id, NOT EXISTS (
            SELECT 1 FROM {item} a JOIN {meeting} e ON e.id = a.meeting_id
            WHERE a.issue_id = i.id AND e.town_id = m.town_id AND e.week < %s
        ), {placeholders}
        FROM {meeting} m JOIN {issue} i ON i.holder_id = m.town_id AND i.status NOT IN (%s, %s)
        WHERE m.id IN ({ids})
    """
    params = [week, *defaults, Issue.Status.RESOLVED.value, Issue.Status.MERGED.value, *meeting_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _office_of_town(actor: Actor, town_code: str) -> None:
    j = jurisdiction(actor)
    if not j.sees(town_code):
        raise NotFound(_("No such meeting."))
    if not j.is_office_of(town_code):
        raise NotPermitted(_("Only the town's office decides at its meeting."))


def decide_agenda_item(
    *,
    actor: Actor,
    item,
    decision: str,
    department: Department | int | None = None,
    resolution: str = "",
    reason: str = "",
    note: str = "",
    now: datetime | None = None,
):
    """Decide one agenda item of an open meeting and apply it to the issue through the
    transition services: assign (a department of the town), resolve (a resolution), escalate
    to the county (one of the manual escalation reasons), return to the village (a reason), or
    carry over (a note, if any, goes on the timeline as a comment).

    Office members of the town only (NotFound outside its jurisdiction, NotPermitted
    otherwise). TransitionError when the meeting is closed, the item already decided, or the
    issue's state does not allow the transition; ValidationError for bad input. The decision
    and the transition commit together or not at all.
    """
    if decision not in AgendaItem.Decision.values:
        raise ValidationError(
            {"decision": [_("Choose one of: %s.") % ", ".join(AgendaItem.Decision.values)]}
        )
    now = now or timezone.now()
    pk = item.pk if isinstance(item, AgendaItem) else item
    with transaction.atomic():
        try:
            # Locking the item serialises two members deciding it at once.
            item = AgendaItem.objects.select_for_update().select_related("meeting").get(pk=pk)
        except (AgendaItem.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such agenda item.")) from None
        _office_of_town(actor, item.meeting.town_id)
        if item.meeting.status == Meeting.Status.CLOSED:
            raise TransitionError(_("The meeting is closed."))
        if item.decision:
            raise TransitionError(_("This item has already been decided."))
        holder = Issue.objects.filter(pk=item.issue_id).values_list("holder_id", flat=True).first()
        if decision != AgendaItem.Decision.CARRY_OVER and holder != item.meeting.town_id:
            # Escalated by the sweep, or resolved elsewhere, since the meeting was convened.
            raise TransitionError(_("The town no longer holds this issue."))
        fields = ["decision", "note", "decided_by", "decided_at"]
        D = AgendaItem.Decision
        if decision == D.ASSIGN:
            if department in (None, ""):
                raise ValidationError({"department": [_("Choose a department.")]})
            issue = assign_issue(
                actor=actor, issue=item.issue_id, department=department, note=note, now=now
            )
            item.department = issue.department
            fields.append("department")
        elif decision == D.RESOLVE:
            resolve_issue(actor=actor, issue=item.issue_id, resolution=resolution or note, now=now)
        elif decision == D.ESCALATE:
            escalate_issue(actor=actor, issue=item.issue_id, reason=reason, note=note, now=now)
        elif decision == D.RETURN:
            return_issue(actor=actor, issue=item.issue_id, reason=reason, note=note, now=now)
        elif note.strip():
            comment_issue(actor=actor, issue=item.issue_id, note=note, now=now)
        else:
            # Carrying over without a note still requires the right to act on the issue.
            rules.check(actor, Issue.objects.get(pk=item.issue_id), "comment")
        item.decision = decision
        item.note = (note or resolution or "").strip()
        item.decided_by = actor
        item.decided_at = now
        item.save(update_fields=fields)
    return item


def close_meeting(*, actor: Actor, meeting, minutes: str, now: datetime | None = None):
    """Close an open meeting with its minutes: office members of the town. Undecided items
    stay on the issues' holders and come back at the next meeting. TransitionError when
    already closed; ValidationError without minutes."""
    minutes = (minutes or "").strip()
    if not minutes:
        raise ValidationError({"minutes": [_("Write the minutes.")]})
    now = now or timezone.now()
    pk = meeting.pk if isinstance(meeting, Meeting) else meeting
    with transaction.atomic():
        try:
            meeting = Meeting.objects.select_for_update().get(pk=pk)
        except (Meeting.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such meeting.")) from None
        _office_of_town(actor, meeting.town_id)
        if meeting.status == Meeting.Status.CLOSED:
            raise TransitionError(_("The meeting is already closed."))
        meeting.status = Meeting.Status.CLOSED
        meeting.minutes = minutes
        meeting.closed_at = now
        meeting.closed_by = actor
        meeting.save(update_fields=["status", "minutes", "closed_at", "closed_by"])
    return meeting


# At most this many characters of other attendees' names (a long list is pasted, not typed).
ATTENDEE_NAMES_MAX_LENGTH = 2000
NAME_SEPARATORS = re.compile(r"[\n\r,，、;；]+")


def meeting_people(town_code: str) -> QuerySet:
    """Who may be recorded as the host or an attendee of a town's meeting: the town's office
    members, leaders and department members, and the cadres posted in its villages. Anyone
    else is written by name."""
    users = get_user_model().objects
    members = Membership.objects.filter(division_id=town_code).values("user_id")
    cadres = Posting.objects.active().filter(
        division__code__startswith=code_prefix(town_code, Tier.TOWN)
    )
    return (
        users.filter(Q(pk__in=members) | Q(pk__in=cadres.values("cadre__user_id")))
        .filter(is_active=True)
        .select_related("cadre")
        .order_by("username")
    )


def _open_meeting_of_office(actor: Actor, meeting, message: str) -> Meeting:
    """Lock `meeting` and check that it is open and the actor one of its town's office."""
    pk = meeting.pk if isinstance(meeting, Meeting) else meeting
    try:
        # Locking the meeting serialises this with closing it.
        locked = Meeting.objects.select_for_update().get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such meeting.")) from None
    _office_of_town(actor, locked.town_id)
    if locked.status == Meeting.Status.CLOSED:
        raise TransitionError(message)
    return locked


def record_attendance(
    *,
    actor: Actor,
    meeting,
    host=None,
    attendees=(),
    attendee_names: str = "",
) -> Meeting:
    """Record who chaired the open meeting and who attended: the host and attendees among
    `meeting_people` of the town (users or their ids), others by name, one a line. Replaces
    what was recorded before. Office members of the town (NotFound outside its jurisdiction,
    NotPermitted otherwise); TransitionError once the meeting is closed; ValidationError for
    someone who is not among the town's people or names over the limit, writing nothing."""
    # One name a line, whether typed a line each or separated by commas (、，,).
    names = "\n".join(
        name.strip() for name in NAME_SEPARATORS.split(attendee_names or "") if name.strip()
    )
    errors: dict[str, list[str]] = {}
    if len(names) > ATTENDEE_NAMES_MAX_LENGTH:
        errors["attendee_names"] = [
            _("At most %(max)d characters.") % {"max": ATTENDEE_NAMES_MAX_LENGTH}
        ]
    with transaction.atomic():
        meeting = _open_meeting_of_office(
            actor, meeting, _("The meeting is closed: its attendance can no longer change.")
        )
        people = meeting_people(meeting.town_id)
        host_id = getattr(host, "pk", host) or None
        ids = {getattr(a, "pk", a) for a in attendees or ()}
        known = set(
            people.filter(pk__in=ids | ({host_id} if host_id else set())).values_list(
                "pk", flat=True
            )
        )
        if host_id and host_id not in known:
            errors["host"] = [_("Choose someone of the town, or write the name below.")]
        if ids - known:
            errors["attendees"] = [_("Choose people of the town, or write the names below.")]
        if errors:
            raise ValidationError(errors)
        meeting.host_id = host_id
        meeting.attendee_names = names
        meeting.save(update_fields=["host", "attendee_names"])
        meeting.attendees.set(ids)
    return meeting


def correct_decision(
    *,
    actor: Actor,
    item,
    note: str,
    reason: str,
    now: datetime | None = None,
) -> DecisionCorrection:
    """Correct the record of a decided agenda item while its meeting is open: what the
    decision reads (`note`) and why it changed (`reason`). The decision's transition stands:
    a different action on the issue is taken on the issue itself. The correction is kept
    beside the item and written on the issue's timeline, in one transaction.

    Office members of the town (NotFound outside its jurisdiction, NotPermitted otherwise).
    TransitionError when the meeting is closed or the item not decided yet; ValidationError
    for an empty note or reason, or a note that changes nothing."""
    note = (note or "").strip()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = [_("Write what the decision now reads.")]
    if not reason:
        errors["reason"] = [_("Say why the decision is corrected.")]
    now = now or timezone.now()
    pk = item.pk if isinstance(item, AgendaItem) else item
    with transaction.atomic():
        meeting_id = AgendaItem.objects.filter(pk=pk).values_list("meeting_id", flat=True).first()
        if meeting_id is None:
            raise NotFound(_("No such agenda item."))
        _open_meeting_of_office(
            actor,
            meeting_id,
            _("The meeting is closed: its decisions can no longer be corrected."),
        )
        # (The system has no office: None was refused above; this tells the type checker.)
        assert actor is not None
        item = AgendaItem.objects.select_for_update().get(pk=pk)
        if not item.decision:
            raise TransitionError(_("This item has not been decided yet."))
        if note and note == item.note:
            errors["note"] = [_("The decision already reads so.")]
        if errors:
            raise ValidationError(errors)
        correction = DecisionCorrection.objects.create(
            item=item,
            before=item.note,
            after=note,
            reason=reason,
            corrected_by=actor,
            corrected_at=now,
        )
        record_decision_correction(
            actor=actor,
            issue=item.issue_id,
            note=_("%(decision)s: %(note)s (was: %(before)s). Reason: %(reason)s")
            % {
                "decision": item.get_decision_display(),
                "note": note,
                "before": item.note or "—",
                "reason": reason,
            },
            now=now,
        )
        item.note = note
        item.save(update_fields=["note"])
    return correction
