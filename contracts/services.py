"""Every write of co-building: contracts through their five steps, resolving an issue through a
partner, and the two lists (needs and offers) each side takes up.

Contracts are moved by office members of the community's town or above (a cadre posted at the
community reads them but does not move them). Each function takes the actor, checks it
through the jurisdiction, locks the row it changes and raises the domain errors of
common.errors or a ValidationError for bad input.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotFound, NotPermitted, StaleVersion, TransitionError
from dispatch.models import Division, Tier
from dispatch.services import jurisdiction
from issues import rules
from issues import services as issue_services
from issues.models import Issue

from .models import (
    Contract,
    ContractStep,
    MenuItem,
    Need,
    Offer,
    PartnerResolution,
    Project,
    Resource,
    Unit,
)
from .selectors import matching_projects, matching_resources

if TYPE_CHECKING:
    from dispatch.actors import Actor

__all__ = [
    "advance_contract",
    "claim_need",
    "meet_need",
    "open_contract",
    "raise_need",
    "resolve_through",
    "take_offer",
]

# Tiers at which an issue may still be solved by the community's partners.
PARTNER_TIERS = (Tier.VILLAGE, Tier.TOWN)
SCORE_MAX = 100


def _check_office(actor: Actor, code: str) -> None:
    """An office member of the community's town or above (or a superuser; None is the system)."""
    if actor is None:
        return
    j = jurisdiction(actor)
    if not j.sees(code):
        raise NotFound(_("No such community in your jurisdiction."))
    if not j.is_over(code):
        raise NotPermitted(_("Only an office of the community's town or above does this."))


def _note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Record the evidence of this step.")]})
    return note


def open_contract(
    *,
    actor: Actor,
    unit: Unit,
    community: Division,
    title: str,
    note: str,
    items: list[tuple[str, str, str]] | None = None,
    on: date | None = None,
) -> Contract:
    """Start a contract between `unit` and `community` at its first step, 谈约 (negotiate),
    with the menu items (menu, side, title) both sides have chosen so far. An office member of
    the community's town or above. ValidationError for a community that is not a village or
    community, an empty title or note."""
    errors: dict[str, list[str]] = {}
    if community.tier != Tier.VILLAGE:
        errors["community"] = [_("A contract is made with a village or community.")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("A title is required.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if not (note or "").strip():
        errors["note"] = [_("Record the evidence of this step.")]
    if errors:
        raise ValidationError(errors)
    _check_office(actor, community.code)
    on = on or timezone.localdate()
    with transaction.atomic():
        contract = Contract.objects.create(unit=unit, community=community, title=title)
        ContractStep.objects.create(
            contract=contract, step=Contract.Step.NEGOTIATE, on=on, by=actor, note=note.strip()
        )
        MenuItem.objects.bulk_create(
            MenuItem(contract=contract, menu=menu, side=side, title=item_title)
            for menu, side, item_title in items or []
        )
    return contract


def advance_contract(
    *,
    actor: Actor,
    contract: Contract | int,
    step: str,
    note: str,
    on: date | None = None,
    score: int | None = None,
    version: int | None = None,
) -> Contract:
    """Take `contract`'s next step: 签约, 亮约, 履约 or 评约, exactly in that order, each once,
    dated, by the actor, with its evidence note; 评约 (evaluate) also records a score from 0
    to 100. An office member of the community's town or above.

    Raises NotFound outside the jurisdiction, NotPermitted for anyone else who sees it,
    TransitionError when `step` is not the next one (skipped or repeated) or the contract
    changed since `version`, and ValidationError for a missing note, date in the future or a
    bad score."""
    note = _note(note)
    if step not in Contract.STEPS:
        raise ValidationError({"step": [_("Choose one of: %s.") % ", ".join(Contract.STEPS)]})
    if step == Contract.Step.EVALUATE:
        if score is None or not 0 <= score <= SCORE_MAX:
            raise ValidationError({"score": [_("An evaluation scores from 0 to 100.")]})
    elif score is not None:
        raise ValidationError({"score": [_("Only the evaluation carries a score.")]})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": [_("A step cannot be taken in the future.")]})
    pk = contract.pk if isinstance(contract, Contract) else contract
    with transaction.atomic():
        try:
            locked = Contract.objects.select_for_update().get(pk=pk)
        except (Contract.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("No such contract.")) from None
        _check_office(actor, locked.community_id)
        if version is not None and version != locked.version:
            raise StaleVersion(_("The contract has changed since you read it."))
        if step != locked.next_step:
            if step in Contract.STEPS[: Contract.STEPS.index(locked.step) + 1]:
                raise TransitionError(_("This step has already been taken."))
            raise TransitionError(
                _("Steps are taken in order: the next one is %(next)s.")
                % {"next": Contract.Step(locked.next_step).label if locked.next_step else "—"}
            )
        locked.step = step
        locked.score = score
        locked.version += 1
        locked.save(update_fields=["step", "score", "version"])
        ContractStep.objects.create(
            contract=locked, step=step, on=on, by=actor, note=note, score=score
        )
    return locked


def resolve_through(
    *,
    actor: Actor,
    issue: Issue | int,
    resolution: str,
    resource: Resource | None = None,
    project: Project | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Resolve (办结) an issue at village or town tier through one of its community's
    contracted resources or projects that match its category. Whoever may resolve the issue.
    The resolution, which every timeline shows (the public one included), names the unit and
    the resource or project; the link is kept for the statistics.

    Raises what resolving raises (NotFound, NotPermitted, TransitionError, StaleVersion),
    TransitionError above town tier, ValidationError without exactly one resource or project
    that matches the issue, or without a resolution."""
    if (resource is None) == (project is None):
        raise ValidationError({"resource": [_("Choose one resource or one project.")]})
    text = (resolution or "").strip()
    if not text:
        raise ValidationError({"resolution": [_("Say how it was resolved.")]})
    now = now or timezone.now()
    pk = issue.pk if isinstance(issue, Issue) else issue
    with transaction.atomic():
        locked = Issue.objects.select_for_update().filter(pk=pk).first()
        if locked is None or (actor is not None and not rules.capacities(actor, locked)):
            raise NotFound(_("No such issue."))
        rules.check(actor, locked, "resolve")
        if locked.tier not in PARTNER_TIERS:
            raise TransitionError(
                _("Only an issue at village or town tier is resolved through a partner.")
            )
        source: Resource | Project
        if resource is not None:
            source = resource
            ok = matching_resources(locked).filter(pk=resource.pk).exists()
            label = _("resource")
        else:
            source = project  # type: ignore[assignment]
            ok = matching_projects(locked).filter(pk=source.pk).exists()
            label = _("project")
        if not ok:
            raise ValidationError(
                {
                    "resource": [
                        _("Choose a contracted resource or project of this community that fits.")
                    ]
                }
            )
        unit = Unit.objects.get(pk=source.unit_id)
        text = _("Resolved with co-building unit %(unit)s (%(label)s: %(name)s): %(text)s") % {
            "unit": unit.name,
            "label": label,
            "name": source.name,
            "text": text,
        }
        resolved = issue_services.resolve_issue(
            actor=actor, issue=locked, resolution=text, version=version, now=now
        )
        PartnerResolution.objects.create(
            issue=resolved, unit=unit, resource=resource, project=project, by=actor, at=now
        )
    return resolved


def raise_need(*, actor: Actor, issue: Issue | int, title: str = "") -> Need:
    """Post an unresolved issue at village or town tier as a need of its community
    (需求清单) for units to take up; whoever may resolve it. Once per issue. The timeline
    records it as a comment."""
    pk = issue.pk if isinstance(issue, Issue) else issue
    with transaction.atomic():
        locked = Issue.objects.select_for_update().filter(pk=pk).first()
        if locked is None or (actor is not None and not rules.capacities(actor, locked)):
            raise NotFound(_("No such issue."))
        rules.check(actor, locked, "resolve")
        if locked.tier not in PARTNER_TIERS:
            raise TransitionError(_("Only an issue at village or town tier becomes a need."))
        if Need.objects.filter(issue=locked).exists():
            raise TransitionError(_("This issue is already a community need."))
        title = (title or "").strip()[:200] or locked.public_description[:200] or locked.title
        need = Need.objects.create(community_id=locked.division_id, title=title, issue=locked)
        issue_services.comment_issue(
            actor=actor,
            issue=locked,
            note=_("Posted as a need of the community for co-building units to take up."),
        )
    return need


def claim_need(*, actor: Actor, need: Need | int, unit: Unit) -> Need:
    """Record that `unit` takes up an open need (认领): an office of the community's town or
    above. TransitionError unless the need is open."""
    pk = need.pk if isinstance(need, Need) else need
    with transaction.atomic():
        locked = Need.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound(_("No such need."))
        _check_office(actor, locked.community_id)
        if locked.status != Need.Status.OPEN:
            raise TransitionError(_("This need has already been taken up."))
        locked.status = Need.Status.CLAIMED
        locked.claimed_by = unit
        locked.save(update_fields=["status", "claimed_by"])
    return locked


def meet_need(*, actor: Actor, need: Need | int) -> Need:
    """Mark a taken-up need met: an office of the community's town or above."""
    pk = need.pk if isinstance(need, Need) else need
    with transaction.atomic():
        locked = Need.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound(_("No such need."))
        _check_office(actor, locked.community_id)
        if locked.status != Need.Status.CLAIMED:
            raise TransitionError(_("Only a need a unit has taken up can be met."))
        locked.status = Need.Status.MET
        locked.save(update_fields=["status"])
    return locked


def take_offer(*, actor: Actor, offer: Offer | int) -> Offer:
    """The community takes up a unit's offer: a cadre posted at the community or an office of
    its town or above. TransitionError unless the offer is open."""
    pk = offer.pk if isinstance(offer, Offer) else offer
    with transaction.atomic():
        locked = Offer.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound(_("No such offer."))
        if actor is not None and locked.community_id not in jurisdiction(actor).cadre_at:
            _check_office(actor, locked.community_id)
        if locked.status != Offer.Status.OPEN:
            raise TransitionError(_("This offer has already been taken up."))
        locked.status = Offer.Status.CLAIMED
        locked.save(update_fields=["status"])
    return locked
