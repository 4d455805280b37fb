"""Who may do what to an issue, in one place.

Every check of a transition runs through `check()`: first jurisdiction (an issue outside it
does not exist: NotFound), then the actor's capacity on this issue (NotPermitted), then the
issue's state (TransitionError). Pages use `allowed_actions()` to show exactly the buttons a
user may press now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.errors import NotFound, NotPermitted, TransitionError
from dispatch.models import Tier, ancestor_code, tier_above
from dispatch.services import display_name, jurisdiction

from .models import Issue

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from dispatch.actors import Actor

# Capacities a user can hold on one issue.
CADRE = "cadre"  # a cadre posted at the holding village
OFFICE = "office"  # an office member of the holder
LEADER = "leader"  # a leader of the holder, when nobody else has claimed it
# A leader of the holder whoever claimed it: a claim that lost the race is a conflict (409),
# not a lack of rights (403).
HOLDER_LEADER = "holder_leader"
CLAIMER = "claimer"  # the leader who claimed it
RAISER = "raiser"  # who raised it
OFFICE_OVER = "office_over"  # an office member whose subtree contains the origin
VIEWER = "viewer"  # anyone who sees it
LEAD_DEPT = "lead_department"  # a member of the lead department of an assigned issue
CO_DEPT = "co_department"  # a member of a co-handling department of an assigned issue
# A member of a lead or co-handling department that has not yet signed for it (签收).
ACK_PENDING = "ack_pending"
# An office member or leader of the holder or of a division above it (may supervise).
SUPERIOR = "superior"
# An office member of the holder or of a division above it: the issue is in their office's
# hands, at their tier or below (who may merge duplicates).
OFFICE_HOLDING = "office_holding"
# Who decides the pending extension request: the holder's office for a department's
# request; the office one tier up for an office's or leader's (a city leader at city tier).
DECIDER = "decider"
EVERY_CAPACITY = frozenset(
    {
        CADRE,
        OFFICE,
        LEADER,
        HOLDER_LEADER,
        CLAIMER,
        RAISER,
        OFFICE_OVER,
        OFFICE_HOLDING,
        VIEWER,
        SUPERIOR,
        DECIDER,
    }
)
# The holder of an issue: who answers for it now.
HOLDER = {CADRE, OFFICE, CLAIMER, LEAD_DEPT}


def _claim_refused(issue: Issue) -> str:
    if issue.claimed_by_id is not None:
        return str(_("%(title)s was already claimed by %(name)s.")) % {
            "title": issue.title,
            "name": display_name(issue.claimed_by),
        }
    return str(_("The issue is resolved, or not at county or city tier."))


def _hand_back_refused(issue: Issue) -> str:
    if issue.status != Issue.Status.ASSIGNED:
        return str(_("Only an assigned issue can be handed back."))
    if issue.arbitrated:
        return str(
            _("The office assigned it to your department again after a hand-back: handle it.")
        )
    if issue.acknowledged_at is not None:
        return str(_("Your department acknowledged it: it is yours to handle (首办负责)."))
    return str(_("The window for handing it back has passed: it is yours to handle (首办负责)."))


def _supervision_open(issue: Issue) -> bool:
    order = issue.supervision if issue.supervision_id is not None else None
    return order is not None and order.replied_at is None


def _may_extend(issue: Issue) -> bool:
    return (
        not issue.is_resolved
        and issue.pending_extension_id is None
        and issue.extension_count < settings.SANBUFU_EXTENSION_LIMIT
    )


def _assigned(issue: Issue) -> bool:
    return issue.status == Issue.Status.ASSIGNED


Held = set[str] | frozenset[str]

ACTIONS: dict[
    str,
    tuple[set[str], Callable[[Issue, Held], bool], StrOrPromise | Callable[[Issue], str]],
] = {
    # action: (capacities allowed, state predicate of the issue and the actor's capacities,
    # message when the state does not fit, or a function of the issue giving it)
    "resolve_on_spot": (
        {CADRE},
        lambda i, h: (
            i.status == Issue.Status.OPEN and i.tier == Tier.VILLAGE and i.escalation_count == 0
        ),
        _("Only a new issue at the front line can be resolved on the spot."),
    ),
    "acknowledge": (
        {LEAD_DEPT, CO_DEPT},
        lambda i, h: _assigned(i) and ACK_PENDING in h,
        _("Your department has already acknowledged this assignment."),
    ),
    "hand_back": (
        {LEAD_DEPT},
        lambda i, h: (
            _assigned(i) and i.acknowledged_at is None and not i.arbitrated and i.ack_window_open()
        ),
        _hand_back_refused,
    ),
    "progress": (
        {LEAD_DEPT, CO_DEPT},
        lambda i, h: _assigned(i),
        _("Progress is reported on an assigned issue."),
    ),
    "resolve": (
        {CADRE, OFFICE, CLAIMER, LEAD_DEPT},
        lambda i, h: not i.is_resolved and (bool(h & {CADRE, OFFICE, CLAIMER}) or _assigned(i)),
        _("The issue is already resolved."),
    ),
    "escalate": (
        {CADRE, OFFICE, CLAIMER},
        lambda i, h: not i.is_resolved and i.tier != Tier.CITY,
        _("A resolved issue, or one at city tier, cannot be escalated."),
    ),
    "assign": (
        {OFFICE, LEADER, CLAIMER},
        lambda i, h: not i.is_resolved and i.tier != Tier.VILLAGE,
        _("Only an unresolved issue at town tier or above can be assigned."),
    ),
    "claim": (
        {HOLDER_LEADER},
        lambda i, h: (
            not i.is_resolved and i.tier in (Tier.COUNTY, Tier.CITY) and i.claimed_by_id is None
        ),
        _claim_refused,
    ),
    "return": (
        {OFFICE},
        lambda i, h: (
            not i.is_resolved
            and i.tier in (Tier.TOWN, Tier.COUNTY)
            and i.tier not in i.returned_from
        ),
        _("The issue cannot be returned: it was already returned from this tier, or is resolved."),
    ),
    "extension": (
        {LEAD_DEPT, OFFICE, CLAIMER},
        lambda i, h: _may_extend(i) and (bool(h & {OFFICE, CLAIMER}) or _assigned(i)),
        _(
            "No extension can be requested: the issue is resolved, a request is pending, or "
            "the extensions allowed at this tier are used up."
        ),
    ),
    "decide_extension": (
        {DECIDER},
        lambda i, h: not i.is_resolved and i.pending_extension_id is not None,
        _("No extension request is pending."),
    ),
    "supervise": (
        {SUPERIOR},
        lambda i, h: not i.is_resolved and not _supervision_open(i),
        _("The issue is resolved or its supervision order is still open."),
    ),
    "supervision_reply": (
        HOLDER,
        lambda i, h: (
            not i.is_resolved
            and _supervision_open(i)
            and (bool(h & HOLDER - {LEAD_DEPT}) or _assigned(i))
        ),
        _("No supervision order is waiting for a reply."),
    ),
    # The reporter's rating given in person or by phone (回访): an office over the origin,
    # never the raiser, whose own work is being rated (see EXCLUDED). Once per resolution.
    "feedback": (
        {OFFICE_OVER},
        lambda i, h: i.awaits_rating,
        _("Only a resolved issue not yet rated can be rated."),
    ),
    "followup": (
        {OFFICE_OVER},
        lambda i, h: i.awaits_rating,
        _("Only a resolved issue not yet rated is followed up."),
    ),
    "reopen": ({OFFICE}, lambda i, h: i.is_resolved, _("Only a resolved issue can be reopened.")),
    "comment": ({VIEWER}, lambda i, h: True, ""),
    # One problem, one issue: an office holding both (the holder is its division or lies
    # below it) merges one into the other (the service checks both).
    "merge": (
        {OFFICE_HOLDING},
        lambda i, h: not i.is_resolved,
        _("A resolved issue is not merged; reopen it first."),
    ),
    # What the public reads: whoever may act on the issue, whatever its state.
    "publish": ({CADRE, OFFICE, LEADER, CLAIMER}, lambda i, h: True, ""),
}


def _department_capacities(j, issue: Issue) -> set[str]:
    """What a department member holds on `issue`: their department leads it, or co-handles it
    at this tier (the rules' predicates then ask whether it is still assigned)."""
    if not j.department_at:
        return set()
    held: set[str] = set()
    pending = issue.status == Issue.Status.ASSIGNED
    if issue.department_id in j.department_at:
        held |= {VIEWER, LEAD_DEPT}
        if pending and issue.acknowledged_at is None:
            held.add(ACK_PENDING)
    for co in issue.co_handlings.all():
        if co.tier == issue.tier and co.department_id in j.department_at:
            held |= {VIEWER, CO_DEPT}
            if pending and co.acknowledged_at is None:
                held.add(ACK_PENDING)
    return held


def _decides(j, issue: Issue) -> bool:
    """Whether the user decides extension requests on `issue`: the holder's office for a
    department's request, the office one tier up (a city leader at city tier) for an
    office's or leader's; with nothing pending, either."""
    above = tier_above(issue.tier)
    if above is None:
        superior = issue.holder_id in j.leader_at
    else:
        superior = ancestor_code(issue.holder_id, above) in j.office_at
    own = issue.holder_id in j.office_at
    extension = issue.pending_extension if issue.pending_extension_id is not None else None
    if extension is None:
        return own or superior
    return own if extension.department_id is not None else superior


# Capacities that bar an action whatever else the user holds: who raised an issue does not
# rate the answer to it.
EXCLUDED: dict[str, str] = {"feedback": RAISER, "followup": RAISER}


# What may still be done to an issue merged into another: talk about it.
AFTER_MERGE = {"comment"}


def capacities(user: Actor, issue: Issue) -> set[str]:
    """The capacities `user` holds on `issue`; empty when it lies outside their jurisdiction."""
    j = jurisdiction(user)
    if j.is_superuser:
        # Every capacity, but the raiser's only on what they raised (who raised an issue
        # does not rate it: EXCLUDED).
        raised = issue.raised_by_id is not None and issue.raised_by_id == user.pk  # type: ignore[union-attr]
        return set(EVERY_CAPACITY) if raised else set(EVERY_CAPACITY - {RAISER})
    held = _department_capacities(j, issue)
    # A grid member (网格员) sees the issues of their grid and handles them at the front line.
    in_grid = issue.grid_id is not None and issue.grid_id in j.grid_at
    if not (j.sees(issue.division_id) or in_grid):
        return held
    held.add(VIEWER)
    if issue.raised_by_id is not None and issue.raised_by_id == user.pk:  # type: ignore[union-attr]
        held.add(RAISER)
    holder = issue.holder_id
    if issue.tier == Tier.VILLAGE and holder in j.cadre_at:
        held.add(CADRE)
    if issue.tier == Tier.VILLAGE and in_grid:
        held.add(CADRE)
    if holder in j.office_at:
        held.add(OFFICE)
    if holder in j.leader_at:
        held.add(HOLDER_LEADER)
        if issue.claimed_by_id in (None, user.pk):  # type: ignore[union-attr]
            held.add(LEADER)
    if issue.claimed_by_id is not None and issue.claimed_by_id == user.pk:  # type: ignore[union-attr]
        held.add(CLAIMER)
    if j.is_over(issue.division_id):
        held.add(OFFICE_OVER)
    if j.is_superior_of(holder):
        held.add(SUPERIOR)
    if j.is_over(holder):
        held.add(OFFICE_HOLDING)
    if _decides(j, issue):
        held.add(DECIDER)
    return held


def check(user: Actor, issue: Issue, action: str) -> set[str]:
    """Raise NotFound, NotPermitted or TransitionError unless `user` may `action` `issue` now;
    return the capacities the user holds on it.

    `user` None is the system (the sweep, an integration whose key the caller checked).
    """
    allowed, fits, message = ACTIONS[action]
    held: Held = EVERY_CAPACITY
    if user is not None:
        held = capacities(user, issue)
        if not held:
            raise NotFound(_("No such issue."))
        if not held & allowed or EXCLUDED.get(action) in held:
            raise NotPermitted(_("You may not do this to this issue."))
    # A merged issue is closed to every step but talk: its survivor answers for it.
    if issue.is_merged and action not in AFTER_MERGE:
        raise TransitionError(
            _("This issue was merged into #%(number)s: act on that one.")
            % {"number": issue.merged_into_id}
        )
    if not fits(issue, held):
        raise TransitionError(message(issue) if callable(message) else message)
    return set(held)


def allowed_actions(user: Actor, issue: Issue) -> list[str]:
    """The actions `user` may take on `issue` now, in the order of ACTIONS."""
    held = capacities(user, issue)
    return [
        name
        for name, (allowed, fits, _m) in ACTIONS.items()
        if (not issue.is_merged or name in AFTER_MERGE)
        and held & allowed
        and EXCLUDED.get(name) not in held
        and fits(issue, held)
    ]


def reporter_phone(user: Actor, issue: Issue, held: set[str] | None = None) -> str:
    """The reporter's phone as `user` may read it: in full for anyone who may act on the
    issue in some way, masked (138****5678) for those who only see it."""
    phone = issue.reporter_phone
    held = capacities(user, issue) if held is None else held
    # Supervising from above is oversight, not handling: it does not unmask.
    if not phone or held - {VIEWER, SUPERIOR}:
        return phone
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
