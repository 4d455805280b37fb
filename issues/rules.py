"""Who may do what to an issue, in one place.

Every check of a transition runs through `check()`: first jurisdiction (an issue outside it
does not exist: NotFound), then the actor's capacity on this issue (NotPermitted), then the
issue's state (TransitionError). Pages use `allowed_actions()` to show exactly the buttons a
user may press now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from common.errors import NotFound, NotPermitted, TransitionError
from dispatch.models import Tier
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


def _claim_refused(issue: Issue) -> str:
    if issue.claimed_by_id is not None:
        return str(_("%(title)s was already claimed by %(name)s.")) % {
            "title": issue.title,
            "name": display_name(issue.claimed_by),
        }
    return str(_("The issue is resolved, or not at county or city tier."))


ACTIONS: dict[
    str, tuple[set[str], Callable[[Issue], bool], StrOrPromise | Callable[[Issue], str]]
] = {
    # action: (capacities allowed, state predicate, message when the state does not fit,
    # or a function of the issue giving it)
    "resolve_on_spot": (
        {CADRE},
        lambda i: (
            i.status == Issue.Status.OPEN and i.tier == Tier.VILLAGE and i.escalation_count == 0
        ),
        _("Only a new issue at the front line can be resolved on the spot."),
    ),
    "resolve": (
        {CADRE, OFFICE, CLAIMER},
        lambda i: not i.is_resolved,
        _("The issue is already resolved."),
    ),
    "escalate": (
        {CADRE, OFFICE, CLAIMER},
        lambda i: not i.is_resolved and i.tier != Tier.CITY,
        _("A resolved issue, or one at city tier, cannot be escalated."),
    ),
    "assign": (
        {OFFICE, LEADER, CLAIMER},
        lambda i: not i.is_resolved and i.tier != Tier.VILLAGE,
        _("Only an unresolved issue at town tier or above can be assigned."),
    ),
    "claim": (
        {HOLDER_LEADER},
        lambda i: (
            not i.is_resolved and i.tier in (Tier.COUNTY, Tier.CITY) and i.claimed_by_id is None
        ),
        _claim_refused,
    ),
    "return": (
        {OFFICE},
        lambda i: (
            not i.is_resolved
            and i.tier in (Tier.TOWN, Tier.COUNTY)
            and i.tier not in i.returned_from
        ),
        _("The issue cannot be returned: it was already returned from this tier, or is resolved."),
    ),
    # The reporter's rating given in person or by phone (回访): an office over the origin,
    # never the raiser, whose own work is being rated (see EXCLUDED). Once per resolution.
    "feedback": (
        {OFFICE_OVER},
        lambda i: i.awaits_rating,
        _("Only a resolved issue not yet rated can be rated."),
    ),
    "followup": (
        {OFFICE_OVER},
        lambda i: i.awaits_rating,
        _("Only a resolved issue not yet rated is followed up."),
    ),
    "reopen": ({OFFICE}, lambda i: i.is_resolved, _("Only a resolved issue can be reopened.")),
    "comment": ({VIEWER}, lambda i: True, ""),
    # What the public reads: whoever may act on the issue, whatever its state.
    "publish": ({CADRE, OFFICE, LEADER, CLAIMER}, lambda i: True, ""),
    "supervise": (
        {OFFICE, LEADER, CLAIMER},
        lambda i: not i.is_resolved and i.supervised_at is None,
        _("The issue is resolved or already under supervision."),
    ),
}


# Capacities that bar an action whatever else the user holds: who raised an issue does not
# rate the answer to it.
EXCLUDED: dict[str, str] = {"feedback": RAISER, "followup": RAISER}


def capacities(user: Actor, issue: Issue) -> set[str]:
    """The capacities `user` holds on `issue`; empty when it lies outside their jurisdiction."""
    j = jurisdiction(user)
    if not j.sees(issue.division_id):
        return set()
    held = {VIEWER}
    if issue.raised_by_id is not None and issue.raised_by_id == user.pk:  # type: ignore[union-attr]
        held.add(RAISER)
    if j.is_superuser:
        return held | {CADRE, OFFICE, LEADER, HOLDER_LEADER, CLAIMER, OFFICE_OVER}
    holder = issue.holder_id
    if issue.tier == Tier.VILLAGE and holder in j.cadre_at:
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
    return held


def check(user: Actor, issue: Issue, action: str) -> None:
    """Raise NotFound, NotPermitted or TransitionError unless `user` may `action` `issue` now.

    `user` None is the system (the sweep, an integration whose key the caller checked).
    """
    allowed, fits, message = ACTIONS[action]
    if user is not None:
        held = capacities(user, issue)
        if not held:
            raise NotFound(_("No such issue."))
        if not held & allowed or EXCLUDED.get(action) in held:
            raise NotPermitted(_("You may not do this to this issue."))
    if not fits(issue):
        raise TransitionError(message(issue) if callable(message) else message)


def allowed_actions(user: Actor, issue: Issue) -> list[str]:
    """The actions `user` may take on `issue` now, in the order of ACTIONS."""
    held = capacities(user, issue)
    return [
        name
        for name, (allowed, fits, _m) in ACTIONS.items()
        if held & allowed and EXCLUDED.get(name) not in held and fits(issue)
    ]


def reporter_phone(user: Actor, issue: Issue, held: set[str] | None = None) -> str:
    """The reporter's phone as `user` may read it: in full for anyone who may act on the
    issue in some way, masked (138****5678) for those who only see it."""
    phone = issue.reporter_phone
    held = capacities(user, issue) if held is None else held
    if not phone or held - {VIEWER}:
        return phone
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
