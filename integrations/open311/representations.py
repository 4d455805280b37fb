"""What the public reads of categories and issues: the specification's fields, the public
description, and fixed phrases for each step of an issue's timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext

from dispatch.models import Division, Tier
from evidence.models import Attachment, public_photos
from issues.models import Category, EscalationReason, Issue, IssueEvent

Kind = IssueEvent.Kind


def w3c(value: datetime | None) -> str | None:
    """2026-11-20T10:00:00+08:00: Shanghai time with its offset, as the spec's w3 format."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": str(category),
        "description": str(category),
        # Every service takes the optional grid attribute (GRID_ATTRIBUTE).
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }


def grid_attribute() -> dict:
    """The one attribute every service definition lists: the grid (网格) of the village at
    `address_id`, optional, posted as attribute[grid]."""
    return {
        "variable": True,
        "code": "grid",
        "datatype": "number",
        "required": False,
        "datatype_description": pgettext(
            "open311", "The id of a grid of the village or community at address_id."
        ),
        "order": 1,
        "description": pgettext("open311", "Grid"),
    }


def address(division: Division) -> str:
    names = []
    node = division
    while node is not None:
        names.append(node.name)
        node = node.parent
    return "".join(reversed(names))


def _phrases() -> dict:
    """The fixed public phrase of each step; (kind, tier) where the tier reached matters.
    Built per call so that each request reads them in its own language."""
    return {
        Kind.RAISED: pgettext("open311", "Received"),
        Kind.RESOLVED_ON_SPOT: pgettext("open311", "Resolved on the spot"),
        (Kind.ESCALATED, Tier.TOWN): pgettext("open311", "Reported up to the town"),
        (Kind.ESCALATED, Tier.COUNTY): pgettext("open311", "Reported up to the county"),
        (Kind.ESCALATED, Tier.CITY): pgettext("open311", "Reported up to the city"),
        (Kind.RETURNED, Tier.VILLAGE): pgettext(
            "open311", "Passed to the village or community to handle"
        ),
        (Kind.RETURNED, Tier.TOWN): pgettext("open311", "Passed to the town to handle"),
        (Kind.RETURNED, Tier.COUNTY): pgettext("open311", "Passed to the county to handle"),
        Kind.ASSIGNED: pgettext("open311", "Assigned to a department"),
        Kind.CLAIMED: pgettext("open311", "Claimed by a leader"),
        Kind.RESOLVED: pgettext("open311", "Resolved"),
        Kind.FEEDBACK: pgettext("open311", "Follow-up recorded"),
        Kind.REOPENED: pgettext("open311", "Being handled again"),
        Kind.SUPERVISED: pgettext("open311", "Under supervision"),
    }


def public_note(event: IssueEvent) -> str:
    """The public words for one step: a fixed phrase, and the answer when it resolves the
    issue. An office's note, a return's reason and a comment are never part of it."""
    phrases = _phrases()
    phrase = (
        phrases.get((event.kind, event.tier_to))
        or phrases.get(event.kind)
        or pgettext("open311", "In progress")
    )
    if event.kind in (Kind.RESOLVED, Kind.RESOLVED_ON_SPOT) and event.note:
        return pgettext("open311", "%(phrase)s: %(answer)s") % {
            "phrase": phrase,
            "answer": event.note,
        }
    return phrase


def status_notes(events: list[IssueEvent]) -> str:
    """The latest public step, in public words."""
    public = [e for e in events if e.is_public]
    return public_note(public[-1]) if public else ""


def _timeline_entry(event: IssueEvent) -> dict:
    # Escalation reasons are codes of a fixed list; a return's reason is an office's words,
    # and the work orders' codes (a late resolution, an arbitration) are the offices' own.
    escalated = event.kind == Kind.ESCALATED and event.reason in EscalationReason.values
    reason = event.reason if escalated else None
    return {
        "kind": event.kind,
        "tier_from": event.tier_from or None,
        "tier_to": event.tier_to or None,
        "reason": reason,
        "at": w3c(event.at),
    }


def media_url(issue: Issue, absolute: Callable[[str], str]) -> str | None:
    """The first photo marked public (evidence), by its token; no other file is ever named."""
    photos = getattr(issue, "public_photos", None)
    if photos is None:
        photos = list(Attachment.objects.public().filter(issue=issue).order_by("uploaded_at", "id"))
    if not photos:
        return None
    return absolute(reverse("evidence:public", kwargs={"token": photos[0].token}))


def _point(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def service_request(
    issue: Issue, extensions: bool, absolute: Callable[[str], str] = lambda path: path
) -> dict:
    events = list(issue.events.all())
    # The public sees an update when a step or the public description changed.
    seen = [e.at for e in events if e.is_public or e.kind in (Kind.PUBLISHED, Kind.PHOTO_PUBLISHED)]
    data = {
        "service_request_id": str(issue.pk),
        "status": "closed" if issue.is_resolved or issue.is_merged else "open",
        "status_notes": status_notes(events),
        "service_name": str(issue.category),
        "service_code": issue.category.code,
        "description": issue.public_description or issue.title,
        "agency_responsible": issue.holder.name,
        "service_notice": "",
        "requested_datetime": w3c(issue.raised_at),
        "updated_datetime": w3c(max([issue.raised_at, *seen])),
        "expected_datetime": w3c(issue.due_at),
        "address": address(issue.division),
        "address_id": issue.division_id,
        "zipcode": None,
        "lat": _point(issue.latitude),
        "long": _point(issue.longitude),
        "media_url": media_url(issue, absolute),
    }
    if extensions:
        data["extended_attributes"] = {
            "tier": issue.tier,
            "holder": issue.holder_id,
            "escalation_count": issue.escalation_count,
            "timeline": [_timeline_entry(e) for e in events if e.is_public],
        }
    return data


def public_issues():
    """Every issue with what its public representation needs, in a fixed number of queries."""
    return Issue.objects.select_related(
        "category", "holder", "division__parent__parent__parent"
    ).prefetch_related(
        Prefetch("events", queryset=IssueEvent.objects.order_by("at", "id")), public_photos()
    )
