"""Every state change of an issue.

Each transition takes the actor (None for the system), locks the issue row, checks the rule
in `rules.check` (jurisdiction, capacity, state), honours a stale `version` as a conflict,
saves the changed fields, writes exactly one event on the timeline and queues its side
effects (notifications, webhooks) with `transaction.on_commit`. Views, the admin, the API,
meetings, Open311 and tasks all call these; none writes `Issue.status` itself.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import (
    PREFIX_LENGTH,
    TIERS,
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
from .models import Category, EscalationReason, Issue, IssueEvent, Rating
from .rules import IssueError, NotFound, NotPermitted, StaleVersion, TransitionError

__all__ = [
    "IssueError",
    "NotFound",
    "NotPermitted",
    "StaleVersion",
    "TransitionError",
    "assign_issue",
    "claim_issue",
    "comment_issue",
    "escalate_issue",
    "escalate_overdue",
    "raise_issue",
    "record_feedback",
    "reopen_issue",
    "resolve_issue",
    "resolve_on_spot",
    "return_issue",
    "supervise_issue",
]

MANUAL_ESCALATION_REASONS = [r for r in EscalationReason.values if r != EscalationReason.OVERDUE]


def due_at(category: Category, tier: str, arrived: datetime) -> datetime:
    return add_working_days(arrived, category.deadline_days(tier))


def _queue_event_hooks(event_ids: list[int]) -> None:
    """After commit, hand the new events to the worker (notifications, webhooks), through the
    outbox: a broker that is down delays them, never fails the change."""
    if not event_ids:
        return
    # Imported here: issues.tasks imports this module.
    from .tasks import queue_event_tasks

    queue_event_tasks(event_ids)


def _record(issue: Issue, kind: str, actor, *, at: datetime, **fields) -> IssueEvent:
    """Write one event; the tiers default to the issue's tier (a step within one tier)."""
    fields.setdefault("tier_from", issue.tier)
    fields.setdefault("tier_to", issue.tier)
    event = IssueEvent.objects.create(issue=issue, kind=kind, actor=actor, at=at, **fields)
    _queue_event_hooks([event.pk])
    return event


def _lock(issue: Issue | int, actor, action: str, version: int | None) -> Issue:
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
    actor,
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
    jurisdiction.
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
        offices_over = any(division.code.startswith(p) for p in rules._office_prefixes(j))
        if not (j.is_superuser or division.code in j.cadre_at or offices_over):
            raise NotPermitted(
                _("Only a cadre posted here or an office over it raises issues here.")
            )

    with transaction.atomic():
        issue = Issue(
            title=title,
            description=description or "",
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
            due_at=due_at(category, Tier.VILLAGE, now),
        )
        issue.save()
        _record(issue, IssueEvent.Kind.RAISED, actor, at=now, tier_from="")
    return issue


# Transitions --------------------------------------------------------------------------------


def resolve_on_spot(
    *,
    actor,
    issue: Issue | int,
    resolution: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Mark a new front-line issue resolved on the spot (当场解决). Cadre of the village only."""
    return _resolve(actor, issue, resolution, version, now, on_spot=True)


def resolve_issue(
    *,
    actor,
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
    actor,
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
        fields = _arrive(issue, tier_above(tier_from), now)
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
    actor,
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
        fields = _arrive(issue, tier_below(tier_from), now)
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
    actor,
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
    *, actor, issue: Issue | int, version: int | None = None, now: datetime | None = None
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
    actor,
    issue: Issue | int,
    rating: str,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Issue:
    """Record the reporter's answer (回访) after resolution: by the raiser or an office member
    over the origin. `unsatisfied` reopens the issue at the tier that resolved it (重办) with a
    fresh deadline; that is part of this one event."""
    if rating not in Rating.values:
        raise ValidationError({"rating": [_("Choose one of: %s.") % ", ".join(Rating.values)]})
    now = now or timezone.now()
    with transaction.atomic():
        issue = _lock(issue, actor, "feedback", version)
        issue.rating = rating
        fields = ["rating"]
        if rating == Rating.UNSATISFIED:
            fields += _reopen(issue, now)
        _save(issue, fields)
        _record(
            issue,
            IssueEvent.Kind.FEEDBACK,
            actor,
            at=now,
            rating=rating,
            note=note or "",
        )
    return issue


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
    actor,
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
    *, actor, issue: Issue | int, note: str, version: int | None = None, now: datetime | None = None
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


def supervise_issue(
    *,
    actor,
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


# The sweep ----------------------------------------------------------------------------------


def _due_case(tier: str, arrived: datetime):
    """A SQL expression for the deadline at `tier` of issues arriving at `arrived`, honouring
    each category's override: one CASE over the few categories that have one."""
    default = add_working_days(arrived, settings.SANBUFU_DEADLINE_DAYS[tier])
    overrides: dict[int, list[int]] = {}
    for pk, days in Category.objects.filter(**{f"{tier}_days__isnull": False}).values_list(
        "pk", f"{tier}_days"
    ):
        overrides.setdefault(days, []).append(pk)
    if not overrides:
        return Value(default)
    whens = [
        When(category_id__in=pks, then=Value(add_working_days(arrived, days)))
        for days, pks in overrides.items()
    ]
    return Case(*whens, default=Value(default))


def escalate_overdue(
    *, as_of: datetime | None = None, batch_size: int | None = None
) -> dict[str, int]:
    """The sweep: every unresolved issue past its deadline below city moves one tier up with
    reason `overdue`; at city tier an overdue issue is put under supervision once.

    Set-based: per batch one SELECT ... FOR UPDATE SKIP LOCKED of ids, one UPDATE and one bulk
    INSERT of events, so memory stays flat however large the backlog. Tiers are swept top
    down and the new deadline runs from `as_of`, so no issue moves twice in one run. Safe to
    run concurrently with itself and with manual transitions: each row is moved by whoever
    locks it, once. Returns how many issues moved from each tier (city: supervised).
    """
    as_of = as_of or timezone.now()
    batch_size = batch_size or settings.SANBUFU_SWEEP_BATCH
    moved = {tier: 0 for tier in TIERS}
    moved[Tier.CITY] = _sweep(
        _overdue_at(Tier.CITY, as_of).filter(supervised_at__isnull=True),
        batch_size,
        update={"supervised_at": as_of},
        event={"kind": IssueEvent.Kind.SUPERVISED, "tier_from": Tier.CITY, "tier_to": Tier.CITY},
        as_of=as_of,
    )
    for tier in (Tier.COUNTY, Tier.TOWN, Tier.VILLAGE):
        new_tier = tier_above(tier)
        keep = PREFIX_LENGTH[new_tier]
        moved[tier] = _sweep(
            _overdue_at(tier, as_of),
            batch_size,
            update={
                "tier": new_tier,
                "holder_id": Concat(Substr("division_id", 1, keep), Value("0" * (12 - keep))),
                "status": Issue.Status.OPEN,
                "department": None,
                "claimed_by": None,
                "arrived_at": as_of,
                "due_at": _due_case(new_tier, as_of),
                "supervised_at": None,
                "escalation_count": F("escalation_count") + 1,
                "peak_tier": Case(
                    When(~Q(peak_tier__in=TIERS[tier_index(new_tier) :]), then=Value(new_tier)),
                    default=F("peak_tier"),
                ),
            },
            event={"kind": IssueEvent.Kind.ESCALATED, "tier_from": tier, "tier_to": new_tier},
            as_of=as_of,
        )
    return moved


def _overdue_at(tier: str, as_of: datetime):
    return Issue.objects.filter(tier=tier, due_at__lt=as_of).exclude(status=Issue.Status.RESOLVED)


def _sweep(pending, batch_size: int, *, update: dict, event: dict, as_of: datetime) -> int:
    """Apply `update` to the rows of `pending`, a batch per transaction, with one event each.

    Every update takes its rows out of `pending` (a new tier, or supervised), so each batch is
    simply the first rows still pending, read through the sweep index in deadline order; no
    cursor, no re-sorting of the backlog. On PostgreSQL, rows another transaction holds (a
    concurrent sweep or a manual transition) are skipped and left for the next run; on SQLite
    the IMMEDIATE transaction already excludes every other writer.
    """
    total = 0
    while True:
        with transaction.atomic():
            batch = pending.order_by("due_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                batch = batch.select_for_update(skip_locked=True)
            ids = list(batch.values_list("id", flat=True)[:batch_size])
            if not ids:
                return total
            Issue.objects.filter(id__in=ids).update(**update, version=F("version") + 1)
            _queue_event_hooks(_insert_events(ids, at=as_of, **event))
            total += len(ids)


def _insert_events(ids: list[int], *, kind: str, tier_from: str, tier_to: str, at) -> list[int]:
    """Write the sweep's events for a batch of issues in one INSERT ... SELECT.

    Building thousands of model instances for bulk_create costs several times the SQL itself
    (measured: two thirds of the sweep's time), so the rows are made by the database.
    """
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(IssueEvent._meta.db_table)} "
        "(issue_id, kind, tier_from, tier_to, reason, note, rating, at) "
        f"SELECT id, %s, %s, %s, %s, '', '', %s FROM {qn(Issue._meta.db_table)} "
        f"WHERE id IN ({', '.join(['%s'] * len(ids))}) RETURNING id"
    )
    params = [kind, tier_from, tier_to, EscalationReason.OVERDUE.value]
    params += [connection.ops.adapt_datetimefield_value(at), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# Meetings -----------------------------------------------------------------------------------
# The town's weekly analysis meeting (民(企)情分析例会): convened once per town and ISO week,
# its agenda every unresolved issue the town holds; each decision applies a transition above.

WEEK_PATTERN = r"^(\d{4})-W(\d{2})$"


def parse_week(week: str) -> date:
    """The Monday of an ISO week written `2026-W48`; ValidationError when it is no such week."""
    import re

    match = re.match(WEEK_PATTERN, week or "")
    if match:
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    raise ValidationError({"week": [_("Write an ISO week as 2026-W48.")]})


def week_of(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def current_week(now: datetime | None = None) -> str:
    """The ISO week of `now` (default: this moment) in the local time zone (Asia/Shanghai)."""
    return week_of(timezone.localdate(now))


def _week_stats(town: Division, monday: date) -> dict:
    from datetime import timedelta

    from .selectors import stats

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
    from django.db import IntegrityError
    from django.db.models import Exists, OuterRef

    from .models import AgendaItem, Meeting

    monday = parse_week(week)
    if not isinstance(town, Division):
        town = Division.objects.filter(code=town).first()
    if town is None or town.tier != Tier.TOWN:
        raise ValidationError({"town": [_("Meetings are held by towns.")]})
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


def convene_meetings(*, week: str | None = None, now: datetime | None = None) -> dict:
    """Convene `week`'s meeting (default: the current ISO week in Asia/Shanghai) for every
    town with issues from its territory or with members. Safe to run twice: existing meetings
    are left as they are. Returns the week and the town codes convened and already there."""
    from dispatch.models import Membership

    from .models import Meeting

    now = now or timezone.now()
    week = week or current_week(now)
    parse_week(week)
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
    towns = Division.objects.filter(code__in=codes, tier=Tier.TOWN).order_by("code")
    already = set(Meeting.objects.filter(week=week).values_list("town_id", flat=True))
    convened, existing = [], []
    for town in towns:
        if town.code in already:
            existing.append(town.code)
            continue
        meeting = convene_meeting(town=town, week=week, now=now)
        # Lost a race with another worker: count it as already there.
        (convened if meeting.convened_at == now else existing).append(town.code)
    return {"week": week, "convened": convened, "existing": existing}


def _office_of_town(actor, town_code: str) -> None:
    j = jurisdiction(actor)
    if not j.sees(town_code):
        raise NotFound(_("No such meeting."))
    if not j.is_office_of(town_code):
        raise NotPermitted(_("Only the town's office decides at its meeting."))


def decide_agenda_item(
    *,
    actor,
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
    from .models import AgendaItem, Meeting

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


def close_meeting(*, actor, meeting, minutes: str, now: datetime | None = None):
    """Close an open meeting with its minutes: office members of the town. Undecided items
    stay on the issues' holders and come back at the next meeting. TransitionError when
    already closed; ValidationError without minutes."""
    from .models import Meeting

    minutes = _required(minutes, "minutes", _("Write the minutes."))
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
