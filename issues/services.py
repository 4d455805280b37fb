"""Every state change of an issue.

Each transition takes the actor (None for the system), locks the issue row, checks the rule
in `rules.check` (jurisdiction, capacity, state), honours a stale `version` as a conflict,
saves the changed fields, writes exactly one event on the timeline and queues its side
effects (notifications, webhooks) with `transaction.on_commit`. Views, the admin, the API,
meetings, Open311 and tasks all call these; none writes `Issue.status` itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotFound, NotPermitted, StaleVersion
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
from .deadlines import add_working_days
from .models import (
    DESCRIPTION_MAX_LENGTH,
    PUBLIC_DESCRIPTION_MAX_LENGTH,
    Category,
    EscalationReason,
    FollowUpOutcome,
    Issue,
    IssueEvent,
    Rating,
    RatingSource,
)

__all__ = [
    "assign_issue",
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


def _lock(issue: Issue | int, actor: Actor, action: str, version: int | None) -> Issue:
    """Load and lock the issue row, then check the rule and the client's version."""
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


def _arrive(issue: Issue, tier: str, now: datetime) -> list[str]:
    """Put `issue` at `tier`, held by its origin's ancestor there, with a fresh deadline."""
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
    if len(reporter_phone or "") > 20:
        errors["reporter_phone"] = [_("At most 20 characters.")]
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
        )
        issue.save()
        _record(issue, IssueEvent.Kind.RAISED, actor, at=now, tier_from="")
    return issue


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
        issue.status = Issue.Status.RESOLVED
        issue.resolution = resolution
        issue.resolved_at = now
        issue.resolved_tier = issue.tier
        issue.resolved_on_spot = on_spot
        _save(issue, ["status", "resolution", "resolved_at", "resolved_tier", "resolved_on_spot"])
        kind = IssueEvent.Kind.RESOLVED_ON_SPOT if on_spot else IssueEvent.Kind.RESOLVED
        _record(issue, kind, actor, at=now, note=resolution)
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
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Assign (分流交办) an issue at town tier or above to a department of its holder.
    Office members and leaders of the holder (a leader only if nobody else claimed it)."""
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "assign", version)
        dept_id = department.pk if isinstance(department, Department) else department
        try:
            dept = Department.objects.get(pk=int(dept_id), division_id=issue.holder_id)
        except (Department.DoesNotExist, ValueError, TypeError):
            raise ValidationError(
                {
                    "department": [
                        _("Choose a department of %(holder)s.") % {"holder": issue.holder.name}
                    ]
                }
            ) from None
        issue.department = dept
        issue.status = Issue.Status.ASSIGNED
        _save(issue, ["department", "status"])
        _record(
            issue,
            IssueEvent.Kind.ASSIGNED,
            actor,
            at=now,
            note=note or "",
            department=dept,
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
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Put an unresolved issue under supervision (督办): an office member or leader of the
    holder, or the system for an overdue issue at city tier. Once per stay at a tier."""
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "supervise", version)
        issue.supervised_at = now
        _save(issue, ["supervised_at"])
        _record(
            issue,
            IssueEvent.Kind.SUPERVISED,
            actor,
            at=now,
            note=note or "",
        )
    return issue
