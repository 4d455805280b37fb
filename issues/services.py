"""Every state change of an issue.

Each transition takes the actor (None for the system), locks the issue row, checks the rule
in `rules.check` (jurisdiction, capacity, state), honours a stale `version` as a conflict,
saves the changed fields, writes exactly one event on the timeline and queues its side
effects (notifications, webhooks) with `transaction.on_commit`. Views, the admin, the API,
meetings, Open311 and tasks all call these; none writes `Issue.status` itself.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotFound, NotPermitted, StaleVersion, TransitionError
from common.phones import normalize_phone
from dispatch.models import (
    Department,
    Division,
    Enterprise,
    Grid,
    Posting,
    Tier,
    ancestor_code,
    tier_above,
    tier_below,
    tier_index,
)
from dispatch.services import jurisdiction

from . import rules
from .deadlines import add_working_days, add_working_hours
from .models import (
    DESCRIPTION_MAX_LENGTH,
    PUBLIC_DESCRIPTION_MAX_LENGTH,
    Category,
    CoHandling,
    EscalationReason,
    Extension,
    FollowUpOutcome,
    Issue,
    IssueEvent,
    IssueReport,
    Rating,
    RatingSource,
    SupervisionOrder,
)

__all__ = [
    "acknowledge_issue",
    "assign_issue",
    "decide_extension",
    "hand_back_issue",
    "post_progress",
    "reply_supervision",
    "request_extension",
    "claim_issue",
    "comment_issue",
    "escalate_issue",
    "raise_issue",
    "record_feedback",
    "record_followup",
    "reopen_issue",
    "resolve_issue",
    "resolve_on_spot",
    "return_issue",
    "set_public_description",
    "supervise_issue",
    "merge_issue",
    "report_again",
]

MANUAL_ESCALATION_REASONS = [r for r in EscalationReason.values if r != EscalationReason.OVERDUE]

if TYPE_CHECKING:
    from dispatch.actors import Actor


def due_at(category: Category, tier: str, arrived: datetime) -> datetime:
    return add_working_days(arrived, category.deadline_days(tier))


def queue_event_side_effects(event_ids: list[int]) -> None:
    """After commit, hand the new events to the worker (notifications, webhooks), through the
    outbox: a broker that is down delays them, never fails the change."""
    if not event_ids:
        return
    # Imported here: issues.tasks imports this module.
    from .tasks import queue_event_tasks

    queue_event_tasks(event_ids)


def _record(issue: Issue, kind: str, actor: Actor, *, at: datetime, **fields) -> IssueEvent:
    """Write one event; the tiers default to the issue's tier (a step within one tier)."""
    fields.setdefault("tier_from", issue.tier)
    fields.setdefault("tier_to", issue.tier)
    event = IssueEvent.objects.create(issue=issue, kind=kind, actor=actor, at=at, **fields)
    queue_event_side_effects([event.pk])
    return event


def _lock(
    issue: Issue | int,
    actor: Actor,
    action: str,
    version: int | None,
    now: datetime | None = None,
) -> Issue:
    """Load and lock the issue row, then check the rule and the client's version. The rules
    judge windows of time (退单) as of `now`."""
    pk = issue.pk if isinstance(issue, Issue) else issue
    try:
        locked = Issue.objects.select_for_update().get(pk=pk)
    except (Issue.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such issue.")) from None
    # A stale version is reported before capacity and state: a double submit or a form read
    # before someone else acted gets "it changed" (409), not a 403 because the change moved
    # the issue away from the actor. Outside the jurisdiction it is still simply not found.
    if version is not None and version != locked.version:
        if actor is not None and not rules.capacities(actor, locked):
            raise NotFound(_("No such issue."))
        raise StaleVersion(
            _("The issue has changed since you read it (version %(now)s, not %(sent)s).")
            % {"now": locked.version, "sent": version}
        )
    locked.as_of = now  # type: ignore[attr-defined]
    rules.check(actor, locked, action)
    return locked


def _save(issue: Issue, fields: list[str]) -> None:
    issue.version += 1
    issue.save(update_fields=[*fields, "version"])


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


# What an assignment (工单) adds to an issue; cleared when it is handed back, reopened or
# leaves the tier. The sweep clears the same fields in SQL (issues.sweep).
WORK_ORDER_RESET = {
    "acknowledged_at": None,
    "ack_due_at": None,
}
# What belongs to a stay at one tier: the hand-backs and arbitration, the extensions and the
# supervision order.
TIER_RESET = {
    "handed_back_from": [],
    "arbitrated": False,
    "extension_count": 0,
    "pending_extension": None,
    "supervision": None,
}


def _clear_work_order(issue: Issue, *, tier_too: bool) -> list[str]:
    """Drop the assignment's co-handlers and 签收 (and with `tier_too` what belongs to the
    tier); the fields to save."""
    CoHandling.objects.filter(issue=issue).delete()
    reset = {**WORK_ORDER_RESET, **(TIER_RESET if tier_too else {})}
    for name, value in reset.items():
        setattr(issue, name, value)
    return list(reset)


def _arrive(issue: Issue, tier: str, now: datetime) -> list[str]:
    """Put `issue` at `tier`, held by its origin's ancestor there, with a fresh deadline."""
    fields = _clear_work_order(issue, tier_too=True)
    issue.tier = tier
    issue.holder_id = ancestor_code(issue.division_id, tier)
    issue.status = Issue.Status.OPEN
    issue.department = None
    issue.claimed_by = None
    issue.arrived_at = now
    issue.due_at = due_at(issue.category, tier, now)
    issue.supervised_at = None
    if tier_index(tier) > tier_index(issue.peak_tier):
        issue.peak_tier = tier
    return [
        "tier",
        "holder",
        "status",
        "department",
        "claimed_by",
        "arrived_at",
        "due_at",
        "supervised_at",
        "peak_tier",
        *fields,
    ]


# Raising ------------------------------------------------------------------------------------


def raise_issue(
    *,
    actor: Actor,
    division: Division | str,
    category: Category | str,
    title: str,
    description: str = "",
    enterprise: Enterprise | None = None,
    grid: Grid | None = None,
    posting: Posting | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    raised_on: date | None = None,
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    now: datetime | None = None,
) -> Issue:
    """Raise an issue at village tier, held by its origin division, due by that tier's deadline.

    May be called by a cadre posted at the division, an office member over it, a superuser,
    or the system (actor None: an integration whose key the caller has checked). Raises
    ValidationError for bad input and NotFound when the division is outside the actor's
    jurisdiction. Most of its length is the checks of each field, collected so that a form or
    the API shows every error at once.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not isinstance(division, Division):
        division = Division.objects.filter(code=division).first()
    if not isinstance(category, Category):
        category = Category.objects.filter(code=category).first()
    if division is None:
        errors["division"] = [_("Unknown division.")]
    elif division.tier != Tier.VILLAGE:
        errors["division"] = [_("Issues are raised in a village, community or enterprise.")]
    if category is None:
        errors["category"] = [_("Unknown category.")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("A title is required.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if len(description or "") > DESCRIPTION_MAX_LENGTH:
        errors["description"] = [
            _("At most %(max)d characters (it has %(length)d).")
            % {"max": DESCRIPTION_MAX_LENGTH, "length": len(description)}
        ]
    if enterprise is not None and division is not None and enterprise.division_id != division.code:
        errors["enterprise"] = [_("The enterprise lies in another division.")]
    if grid is not None and division is not None and grid.division_id != division.code:
        errors["grid"] = [_("The grid lies in another division.")]
    if len(reporter_name or "") > 50:
        errors["reporter_name"] = [_("At most 50 characters.")]
    try:
        reporter_phone = normalize_phone(reporter_phone)
    except ValidationError as exc:
        errors["reporter_phone"] = exc.messages
    try:
        point = _point(latitude, longitude)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        point = (None, None)
    raised_on = raised_on or timezone.localdate(now)
    if raised_on > timezone.localdate(now):
        errors["raised_on"] = [_("An issue cannot be found in the future.")]
    if errors:
        raise ValidationError(errors)

    if actor is not None:
        j = jurisdiction(actor)
        if not j.sees(division.code):
            raise NotFound(_("No such division in your jurisdiction."))
        if not (division.code in j.cadre_at or j.is_over(division.code)):
            raise NotPermitted(
                _("Only a cadre posted here or an office over it raises issues here.")
            )

    with transaction.atomic():
        issue = Issue(
            title=title,
            description=description or "",
            public_description=title,
            category=category,
            division=division,
            enterprise=enterprise,
            grid=grid,
            posting=posting,
            reporter_name=reporter_name or "",
            reporter_phone=reporter_phone or "",
            raised_by=actor,
            raised_on=raised_on,
            raised_at=now,
            tier=Tier.VILLAGE,
            holder_id=division.code,
            peak_tier=Tier.VILLAGE,
            arrived_at=now,
            due_at=due_at(category, Tier.VILLAGE, now),  # type: ignore[arg-type]
            latitude=point[0],
            longitude=point[1],
        )
        issue.save()
        _record(issue, IssueEvent.Kind.RAISED, actor, at=now, tier_from="")
    return issue


SIX_PLACES = Decimal("0.000001")


def _point(
    latitude: Decimal | float | str | None, longitude: Decimal | float | str | None
) -> tuple[Decimal | None, Decimal | None]:
    """A WGS84 point to six places (about 0.1 m), both parts or neither. Raises
    ValidationError naming the field at fault."""
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        raise ValidationError({"latitude": [_("Give both latitude and longitude, or neither.")]})
    try:
        lat = Decimal(str(latitude)).quantize(SIX_PLACES)
        lon = Decimal(str(longitude)).quantize(SIX_PLACES)
    except (InvalidOperation, ValueError):
        raise ValidationError({"latitude": [_("Not a latitude and longitude.")]}) from None
    if not lat.is_finite() or not -90 <= lat <= 90:
        raise ValidationError({"latitude": [_("A latitude lies between -90 and 90.")]})
    if not lon.is_finite() or not -180 <= lon <= 180:
        raise ValidationError({"longitude": [_("A longitude lies between -180 and 180.")]})
    return lat, lon


def set_issue_point(
    *,
    actor: Actor,
    issue: Issue | int,
    latitude: Decimal | float | str | None,
    longitude: Decimal | float | str | None,
    source: str = "",
    overwrite: bool = True,
    now: datetime | None = None,
) -> Issue:
    """Record where the issue was found (a phone's location, a photo's EXIF): anyone who sees
    the issue, as for a comment. With overwrite False a point already there is kept (a photo
    does not move a place someone chose). Writes a `located` event when the point changes.
    Raises ValidationError for a point out of range."""
    lat, lon = _point(latitude, longitude)
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "comment", None)
        if (issue.latitude is not None and not overwrite) or (
            issue.latitude == lat and issue.longitude == lon
        ):
            return issue
        issue.latitude, issue.longitude = lat, lon
        _save(issue, ["latitude", "longitude"])
        note = f"{lat},{lon}" if lat is not None else ""
        _record(issue, IssueEvent.Kind.LOCATED, actor, at=now, note=note, reason=source[:40])
    return issue


def record_evidence_event(
    *,
    actor: Actor,
    issue: Issue | int,
    kind: str,
    action: str,
    note: str = "",
    now: datetime | None = None,
) -> IssueEvent:
    """The timeline step of evidence added, removed or made public (evidence.services calls
    it inside its own transaction): checks `action` in rules for the actor and locks the
    issue, so a photo cannot be added to an issue the actor may no longer see."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(issue, actor, action, None)
        return _record(locked, kind, actor, at=now, note=note)


# Transitions --------------------------------------------------------------------------------


def resolve_on_spot(
    *,
    actor: Actor,
    issue: Issue | int,
    resolution: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Mark a new front-line issue resolved on the spot (当场解决). Cadre of the village only."""
    return _resolve(actor, issue, resolution, version, now, on_spot=True)


def resolve_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    resolution: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Resolve (办结) an issue at its tier: the holder's cadre, an office member of the holder
    or the claiming leader. The raiser is told by email after commit."""
    return _resolve(actor, issue, resolution, version, now, on_spot=False)


def _resolve(actor, issue, resolution, version, now, *, on_spot: bool) -> Issue:
    resolution = _required(resolution, "resolution", _("Say how it was resolved."))
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "resolve_on_spot" if on_spot else "resolve", version)
        # For the assessment (考核): the lead department that resolved it, and whether in
        # time ("overdue"), in time thanks to an extension ("extended") or plainly ("").
        department = issue.department if issue.status == Issue.Status.ASSIGNED else None
        timing = "overdue" if now > issue.due_at else ("extended" if issue.extension_count else "")
        issue.status = Issue.Status.RESOLVED
        issue.resolution = resolution
        issue.resolved_at = now
        issue.resolved_tier = issue.tier
        issue.resolved_on_spot = on_spot
        # A request for more time lapses with the resolution (it stays undecided).
        issue.pending_extension = None
        _save(
            issue,
            [
                "status",
                "resolution",
                "resolved_at",
                "resolved_tier",
                "resolved_on_spot",
                "pending_extension",
            ],
        )
        kind = IssueEvent.Kind.RESOLVED_ON_SPOT if on_spot else IssueEvent.Kind.RESOLVED
        _record(issue, kind, actor, at=now, note=resolution, department=department, reason=timing)
    return issue


def escalate_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    reason: str,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Move an unresolved issue exactly one tier up with a reason; the new tier's deadline
    starts now. Same actors as resolve. TransitionError at city tier or when resolved; the new
    holder's office members and leaders are emailed after commit."""
    if reason not in MANUAL_ESCALATION_REASONS:
        raise ValidationError(
            {"reason": [_("Choose one of: %s.") % ", ".join(MANUAL_ESCALATION_REASONS)]}
        )
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "escalate", version)
        tier_from = issue.tier
        fields = _arrive(issue, tier_above(tier_from), now)  # type: ignore[arg-type]
        issue.escalation_count += 1
        _save(issue, [*fields, "escalation_count"])
        _record(
            issue,
            IssueEvent.Kind.ESCALATED,
            actor,
            at=now,
            reason=reason,
            note=note or "",
            tier_from=tier_from,
        )
    return issue


def return_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    reason: str,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Send an issue one tier down (退回) because it belongs there. An office member of the
    holder at town or county tier; a reason is required; at most once from each tier."""
    reason = _required(reason, "reason", _("Say why it is returned."))
    if len(reason) > 40:
        raise ValidationError({"reason": [_("At most 40 characters; put the rest in the note.")]})
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "return", version)
        tier_from = issue.tier
        issue.returned_from = [*issue.returned_from, tier_from]
        fields = _arrive(issue, tier_below(tier_from), now)  # type: ignore[arg-type]
        _save(issue, [*fields, "returned_from"])
        _record(
            issue,
            IssueEvent.Kind.RETURNED,
            actor,
            at=now,
            reason=reason,
            note=note or "",
            tier_from=tier_from,
        )
    return issue


def assign_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    department: Department | int,
    co_departments: list[Department | int] | tuple = (),
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Assign (分流交办) an issue at town tier or above to a lead department of its holder
    (主办) and any number of its other departments co-handling (协办): office members and
    leaders of the holder (a leader only if nobody else claimed it), or the claiming leader.
    The lead must sign for it (签收) within ACK_WORKING_HOURS. Assigning a department that
    handed it back at this tier is an arbitration: it may not hand it back again. Members of
    the departments are told after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "assign", version)
        dept = _department_of(issue, department, "department")
        co_ids = [_id_of(d) for d in co_departments or ()]
        co = list(Department.objects.filter(pk__in=co_ids, division_id=issue.holder_id))
        if len(co) != len(set(co_ids)) or None in co_ids:
            raise ValidationError(
                {"co_departments": [_("Choose departments of %(holder)s.") % _holder(issue)]}
            )
        if dept.pk in co_ids:
            raise ValidationError(
                {"co_departments": [_("The lead department does not also co-handle it.")]}
            )
        fields = _clear_work_order(issue, tier_too=False)
        issue.department = dept
        issue.status = Issue.Status.ASSIGNED
        issue.ack_due_at = add_working_hours(now, settings.SANBUFU_ACK_WORKING_HOURS)
        issue.arbitrated = dept.pk in issue.handed_back_from
        _save(issue, [*fields, "department", "status", "arbitrated"])
        CoHandling.objects.bulk_create(
            CoHandling(issue=issue, department=d, tier=issue.tier, assigned_at=now) for d in co
        )
        event = _record(
            issue,
            IssueEvent.Kind.ASSIGNED,
            actor,
            at=now,
            note=note or "",
            department=dept,
            reason="arbitrated" if issue.arbitrated else "",
        )
        event.co_departments.set(co)
    return issue


def _id_of(department: Department | int | str | None):
    if isinstance(department, Department):
        return department.pk
    try:
        return int(department)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _holder(issue: Issue) -> dict:
    return {"holder": issue.holder.name}


def _department_of(issue: Issue, department: Department | int, field: str) -> Department:
    """The holder's department `department`, or a ValidationError on `field`."""
    dept = Department.objects.filter(pk=_id_of(department), division_id=issue.holder_id).first()
    if dept is None:
        raise ValidationError({field: [_("Choose a department of %(holder)s.") % _holder(issue)]})
    return dept


def _actor_departments(actor: Actor, issue: Issue) -> tuple[bool, list[CoHandling]]:
    """Whether `actor` is a member of the lead department, and the co-handlings (at this
    tier) of departments they are a member of."""
    mine = jurisdiction(actor).department_at
    co = [c for c in issue.co_handlings.all() if c.tier == issue.tier and c.department_id in mine]
    return issue.department_id in mine, co


def acknowledge_issue(
    *, actor: Actor, issue: Issue | int, version: int | None = None, now: datetime | None = None
) -> Issue:
    """Sign for an assignment (签收): a member of the lead or of a co-handling department,
    once per department per assignment (TransitionError after). Late past the window is still
    signing; the lateness counts against the department in the assessment."""
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "acknowledge", version)
        lead, co = _actor_departments(actor, issue)
        department = None
        if lead and issue.acknowledged_at is None:
            issue.acknowledged_at = now
            department = issue.department
            _save(issue, ["acknowledged_at"])
        else:
            pending = [c for c in co if c.acknowledged_at is None]
            CoHandling.objects.filter(pk__in=[c.pk for c in pending]).update(acknowledged_at=now)
            department = pending[0].department
            _save(issue, [])
        late = issue.ack_due_at is not None and now > issue.ack_due_at
        _record(
            issue,
            IssueEvent.Kind.ACKNOWLEDGED,
            actor,
            at=now,
            department=department,
            reason="late" if late else "",
        )
    return issue


def hand_back_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    reason: str,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Hand an assignment back to the assigning office (退单) with a reason: a member of the
    lead department, before signing for it and within the ACK_WORKING_HOURS window, and not
    after the office arbitrated by assigning it to the same department again. The issue is
    open at the office again (or back with the leader who claimed it); its office members are
    told after commit."""
    reason = _required(reason, "reason", _("Say why it is handed back."))
    if len(reason) > 40:
        raise ValidationError({"reason": [_("At most 40 characters; put the rest in the note.")]})
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "hand_back", version, now)
        department = issue.department
        issue.handed_back_from = [*issue.handed_back_from, department.pk]
        fields = _clear_work_order(issue, tier_too=False)
        # Back to whoever assigned it: the office (open), or the leader who claimed it.
        issue.status = Issue.Status.CLAIMED if issue.claimed_by_id else Issue.Status.OPEN
        issue.department = None
        _save(issue, [*fields, "handed_back_from", "status", "department"])
        _record(
            issue,
            IssueEvent.Kind.HANDED_BACK,
            actor,
            at=now,
            reason=reason,
            note=note or "",
            department=department,
        )
    return issue


def post_progress(
    *,
    actor: Actor,
    issue: Issue | int,
    note: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Report progress (办理进展) on an assigned issue: a member of the lead or of a
    co-handling department (协办 post their part this way). Changes no state."""
    note = _required(note, "note", _("Say what was done."))
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "progress", version)
        lead, co = _actor_departments(actor, issue)
        department = issue.department if lead else co[0].department
        _save(issue, [])
        _record(issue, IssueEvent.Kind.PROGRESS, actor, at=now, note=note, department=department)
    return issue


def request_extension(
    *,
    actor: Actor,
    issue: Issue | int,
    days: int,
    reason: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Ask for `days` more working days at this tier (延期): the holder, i.e. a member of the
    lead department, an office member of the holder or the claiming leader. At most
    EXTENSION_LIMIT approved extensions per tier, each at most EXTENSION_MAX_DAYS; one request
    at a time. The clock keeps running while it waits. The deciders are told after commit."""
    reason = _required(reason, "reason", _("Say why more time is needed."))
    limit = settings.SANBUFU_EXTENSION_MAX_DAYS
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= limit:
        raise ValidationError({"days": [_("Between 1 and %(max)d working days.") % {"max": limit}]})
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "extension", version)
        held = rules.capacities(actor, issue) if actor is not None else set()
        by_department = rules.LEAD_DEPT in held and not held & {rules.OFFICE, rules.CLAIMER}
        extension = Extension.objects.create(
            issue=issue,
            tier=issue.tier,
            department=issue.department if by_department else None,
            requested_by=actor,
            days=days,
            reason=reason,
            requested_at=now,
            due_before=issue.due_at,
        )
        issue.pending_extension = extension
        _save(issue, ["pending_extension"])
        _record(
            issue,
            IssueEvent.Kind.EXTENSION_REQUESTED,
            actor,
            at=now,
            reason=str(days),
            note=reason,
            department=extension.department,
        )
    return issue


def decide_extension(
    *,
    actor: Actor,
    issue: Issue | int,
    approve: bool,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Approve or reject the pending extension request: the holder's office for a department's
    request, the office one tier up for an office's or leader's (at city tier a city leader).
    Approval moves the deadline on from the current one by the days asked; rejection leaves
    it. The requester is told after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "decide_extension", version)
        extension = issue.pending_extension
        assert extension is not None  # the rule checked it
        extension.approved = bool(approve)
        extension.decided_by = actor
        extension.decided_at = now
        extension.note = note or ""
        fields = ["pending_extension"]
        if approve:
            issue.due_at = add_working_days(issue.due_at, extension.days)
            issue.extension_count += 1
            extension.due_after = issue.due_at
            fields += ["due_at", "extension_count"]
        extension.save(update_fields=["approved", "decided_by", "decided_at", "note", "due_after"])
        issue.pending_extension = None
        _save(issue, fields)
        _record(
            issue,
            IssueEvent.Kind.EXTENSION_DECIDED,
            actor,
            at=now,
            reason="approved" if approve else "rejected",
            note=note or "",
            department=extension.department,
        )
    return issue


def claim_issue(
    *, actor: Actor, issue: Issue | int, version: int | None = None, now: datetime | None = None
) -> Issue:
    """A leader of the holder claims (认领) an issue at county or city tier. The row lock makes
    exactly one of several simultaneous claimants win; the rest get TransitionError."""
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "claim", version)
        issue.claimed_by = actor
        issue.status = Issue.Status.CLAIMED
        _save(issue, ["claimed_by", "status"])
        _record(issue, IssueEvent.Kind.CLAIMED, actor, at=now)
    return issue


def record_feedback(
    *,
    actor: Actor,
    issue: Issue | int,
    rating: str,
    note: str = "",
    via: str = RatingSource.PHONE,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Record the reporter's rating of the current resolution (回访), once per resolution.

    `actor` an office member over the origin who is not its raiser, recording a rating given
    `via` phone or a visit; or None with `via` "resident": the resident on their own page
    (the caller checked their signed link). `unsatisfied` reopens the issue at the tier that
    resolved it (重办) with a fresh deadline, within this one event. TransitionError when the
    issue is not resolved or this resolution is already rated."""
    if rating not in Rating.values:
        raise ValidationError({"rating": [_("Choose one of: %s.") % ", ".join(Rating.values)]})
    if via not in RatingSource.values or (via == RatingSource.RESIDENT) != (actor is None):
        raise ValidationError({"via": [_("Choose phone or visit.")]})
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "feedback", version)
        # The rating counts for the department that resolved it (cleared by a reopening).
        department = issue.department
        fields = _rate(issue, rating, now)
        _save(issue, fields)
        _record(
            issue,
            IssueEvent.Kind.FEEDBACK,
            actor,
            at=now,
            rating=rating,
            reason=via,
            note=note or "",
            department=department,
        )
    return issue


def record_followup(
    *,
    actor: Actor,
    issue: Issue | int,
    outcome: str,
    rating: str = "",
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Record a follow-up call (回访) to the reporter of a resolved, unrated issue: an office
    member over the origin who is not its raiser. `reached` may carry the rating given on the
    phone, which counts as the resolution's rating (and `unsatisfied` reopens it); the other
    outcomes carry none. One event of kind `followed_up`, its reason the outcome."""
    if outcome not in FollowUpOutcome.values:
        raise ValidationError(
            {"outcome": [_("Choose one of: %s.") % ", ".join(FollowUpOutcome.values)]}
        )
    if rating and rating not in Rating.values:
        raise ValidationError({"rating": [_("Choose one of: %s.") % ", ".join(Rating.values)]})
    if rating and outcome != FollowUpOutcome.REACHED:
        raise ValidationError({"rating": [_("Only a reached reporter gives a rating.")]})
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "followup", version)
        fields = _rate(issue, rating, now) if rating else []
        _save(issue, fields)
        _record(
            issue,
            IssueEvent.Kind.FOLLOWED_UP,
            actor,
            at=now,
            rating=rating,
            reason=outcome,
            note=note or "",
        )
    return issue


def _rate(issue: Issue, rating: str, now: datetime) -> list[str]:
    issue.rating = rating
    issue.rated_at = now
    fields = ["rating", "rated_at"]
    if rating == Rating.UNSATISFIED:
        fields += _reopen(issue, now)
    return fields


def _reopen(issue: Issue, now: datetime) -> list[str]:
    fields = _clear_work_order(issue, tier_too=False)
    issue.status = Issue.Status.OPEN
    issue.resolved_at = None
    issue.resolved_tier = ""
    issue.resolved_on_spot = False
    issue.claimed_by = None
    issue.department = None
    issue.arrived_at = now
    issue.due_at = due_at(issue.category, issue.tier, now)
    return [
        "status",
        "resolved_at",
        "resolved_tier",
        "resolved_on_spot",
        "claimed_by",
        "department",
        "arrived_at",
        "due_at",
        *fields,
    ]


def reopen_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Reopen (重办) a resolved issue at its resolving tier: an office member of the holder."""
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "reopen", version)
        fields = _reopen(issue, now)
        _save(issue, fields)
        _record(
            issue,
            IssueEvent.Kind.REOPENED,
            actor,
            at=now,
            note=note or "",
        )
    return issue


def comment_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    note: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Add a comment to the timeline: anyone who sees the issue. Changes no state."""
    note = _required(note, "note", _("A comment needs some text."))
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "comment", version)
        _record(
            issue,
            IssueEvent.Kind.COMMENTED,
            actor,
            at=now,
            note=note,
        )
    return issue


def record_decision_correction(
    *,
    actor: Actor,
    issue: Issue | int,
    note: str,
    now: datetime | None = None,
) -> IssueEvent:
    """Put on the timeline that the town's meeting corrected the record of its decision on
    the issue (meetings.services.correct_decision calls it, having checked the meeting and
    the actor's office). Anyone who sees the issue may comment; this changes no state."""
    note = _required(note, "note", _("Say what the decision now reads."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(issue, actor, "comment", None)
        return _record(locked, IssueEvent.Kind.DECISION_CORRECTED, actor, at=now, note=note)


def set_public_description(
    *,
    actor: Actor,
    issue: Issue | int,
    text: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Write what the public reads of the issue (the Open311 feed's description): whoever may
    act on it (the holder's cadre, an office member of the holder, a leader of the holder or
    the claiming leader), in any state. The cadre's own description stays for the offices.
    Raises ValidationError for an empty or over-long text."""
    text = _required(text, "public_description", _("Write what the public may read."))
    if len(text) > PUBLIC_DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {
                "public_description": [
                    _("At most %(max)d characters.") % {"max": PUBLIC_DESCRIPTION_MAX_LENGTH}
                ]
            }
        )
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "publish", version)
        issue.public_description = text
        _save(issue, ["public_description"])
        _record(issue, IssueEvent.Kind.PUBLISHED, actor, at=now, note=text)
    return issue


def supervise_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    note: str = "",
    reply_by: datetime | date | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Issue a supervision order (督办单) to the holder of an unresolved issue: an office
    member or leader of the holder or of a division above it (the sweep issues one for an
    overdue issue at city tier). The holder replies by `reply_by` (default
    SUPERVISION_REPLY_DAYS working days; a date means the end of that day). One open order
    at a time; a second order for the same issue is red. The holder is told after commit."""
    now = now or timezone.now()
    reply_by = _reply_by(reply_by, now)
    with transaction.atomic():
        issue = _lock(issue, actor, "supervise", version)
        order = SupervisionOrder.objects.create(
            issue=issue,
            tier=issue.tier,
            holder_id=issue.holder_id,
            department=issue.department if issue.status == Issue.Status.ASSIGNED else None,
            issued_by=actor,
            issued_at=now,
            note=note or "",
            reply_by=reply_by,
            sequence=SupervisionOrder.objects.filter(issue=issue).count() + 1,
        )
        issue.supervision = order
        issue.supervised_at = issue.supervised_at or now
        _save(issue, ["supervision", "supervised_at"])
        _record(
            issue,
            IssueEvent.Kind.SUPERVISED,
            actor,
            at=now,
            note=note or "",
            department=order.department,
        )
    return issue


def _reply_by(value: datetime | date | None, now: datetime) -> datetime:
    if value is None:
        return add_working_days(now, settings.SANBUFU_SUPERVISION_REPLY_DAYS)
    if not isinstance(value, datetime):
        value = timezone.make_aware(datetime.combine(value, datetime.max.time()))
    if value <= now:
        raise ValidationError({"reply_by": [_("The reply is due in the future.")]})
    return value


def reply_supervision(
    *,
    actor: Actor,
    issue: Issue | int,
    note: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Answer the open supervision order: the holder (the lead department's member, an office
    member of the holder, the holding cadre or the claiming leader). A reply after `reply_by`
    is late and turns the order red. Whoever issued it is told after commit."""
    note = _required(note, "note", _("Say what has been done."))
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "supervision_reply", version)
        order = issue.supervision
        assert order is not None  # the rule checked it
        order.replied_at = now
        order.replied_by = actor
        order.reply = note
        order.save(update_fields=["replied_at", "replied_by", "reply"])
        _save(issue, [])
        _record(
            issue,
            IssueEvent.Kind.SUPERVISION_REPLIED,
            actor,
            at=now,
            note=note,
            reason="late" if order.is_late() else "",
            department=order.department,
        )
    return issue


# One problem, one issue (一事一件) ---------------------------------------------------------------


def report_again(
    *,
    actor: Actor,
    issue: Issue | int,
    division: Division | str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    note: str = "",
    raised_on: date | None = None,
    now: datetime | None = None,
) -> Issue:
    """Add a further report of the same problem to an open issue instead of raising another:
    the reporter (who may be nobody in particular) is answered with the issue, and the issue's
    timeline records it. A cadre posted at `division`, or an office over it, who sees the
    issue. ValidationError for bad input; NotFound, NotPermitted, TransitionError (resolved or
    merged) as the rules say. Without `division`: the actor's post in the issue's town, else
    the issue's own village."""
    now = now or timezone.now()
    code = division.code if isinstance(division, Division) else str(division or "")
    if not code:
        origin = (
            issue.division_id
            if isinstance(issue, Issue)
            else Issue.objects.filter(pk=issue).values_list("division_id", flat=True).first()
        ) or ""
        posts = sorted(c for c in jurisdiction(actor).cadre_at if c[:9] == origin[:9])
        code = posts[0] if posts else origin
    errors: dict[str, list[str]] = {}
    if not Division.objects.filter(code=code, tier=Tier.VILLAGE).exists():
        errors["division"] = [_("Issues are raised in a village, community or enterprise.")]
    if len(reporter_name or "") > 50:
        errors["reporter_name"] = [_("At most 50 characters.")]
    try:
        reporter_phone = normalize_phone(reporter_phone or "")
    except ValidationError as exc:
        errors["reporter_phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    j = jurisdiction(actor)
    if not (code in j.cadre_at or j.is_over(code)):
        raise NotPermitted(_("Only a cadre posted here or an office over it raises issues here."))
    with transaction.atomic():
        # Whoever sees the issue may comment on it; adding a report is for those who may
        # raise one where it was heard, on an issue still open (the diary form offers it).
        issue = _lock(issue, actor, "comment", None, now)
        if issue.is_merged or issue.is_resolved:
            raise TransitionError(_("The issue is already closed: raise a new one."))
        IssueReport.objects.create(
            issue=issue,
            reporter_name=(reporter_name or "").strip(),
            reporter_phone=reporter_phone,
            division_id=code,
            raised_by=actor,
            raised_on=raised_on or timezone.localdate(now),
            created_at=now,
        )
        _save(issue, [])
        _record(issue, IssueEvent.Kind.REPORTED_AGAIN, actor, at=now, note=note or "")
    return issue


def merge_issue(
    *,
    actor: Actor,
    issue: Issue | int,
    into: Issue | int,
    note: str = "",
    now: datetime | None = None,
) -> Issue:
    """Merge `issue` into `into`, the survivor (one problem heard in several villages): the
    merged issue closes with status `merged`, its reporter and further reporters become the
    survivor's (each is answered when the survivor is resolved), and both timelines record the
    merge, each naming the other. An office member of both holders (or a superuser). Returns
    the survivor. ValidationError when they are the same issue; NotFound, NotPermitted and
    TransitionError (either resolved or merged) as the rules say."""
    now = now or timezone.now()
    pk = issue.pk if isinstance(issue, Issue) else issue
    into_pk = into.pk if isinstance(into, Issue) else into
    if str(pk) == str(into_pk):
        raise ValidationError({"into": [_("An issue is not merged into itself.")]})
    with transaction.atomic():
        # Both rows locked, always in id order, so that two merges of the same pair in
        # opposite directions wait for each other instead of deadlocking.
        locked = {}
        for key in sorted([pk, into_pk], key=lambda v: int(v) if str(v).isdigit() else -1):
            locked[key] = _lock(key, actor, "merge", None, now)
        merged, survivor = locked[pk], locked[into_pk]
        if merged.reporter_name or merged.reporter_phone or merged.raised_by_id:
            IssueReport.objects.create(
                issue=survivor,
                reporter_name=merged.reporter_name,
                reporter_phone=merged.reporter_phone,
                division_id=merged.division_id,
                raised_by_id=merged.raised_by_id,
                merged_from=merged,
                raised_on=merged.raised_on,
                created_at=now,
            )
        IssueReport.objects.filter(issue=merged).update(issue=survivor)
        Issue.objects.filter(merged_into=merged).update(merged_into=survivor)
        merged.status = Issue.Status.MERGED
        merged.merged_into = survivor
        # The reporter is now the survivor's to answer; the merged issue keeps nothing of them.
        merged.reporter_name = ""
        merged.reporter_phone = ""
        fields = _clear_work_order(merged, tier_too=True)
        merged.department = None
        merged.claimed_by = None
        _save(
            merged,
            [
                "status",
                "merged_into",
                "reporter_name",
                "reporter_phone",
                "department",
                "claimed_by",
                *fields,
            ],
        )
        _save(survivor, [])
        _record(
            merged,
            IssueEvent.Kind.MERGED,
            actor,
            at=now,
            note=note or "",
            reason="into",
            related_issue=survivor,
        )
        _record(
            survivor,
            IssueEvent.Kind.MERGED,
            actor,
            at=now,
            note=note or "",
            reason="from",
            related_issue=merged,
        )
    return survivor
