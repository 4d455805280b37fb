"""The overdue sweep (hourly): every unresolved issue past its tier's deadline moves one tier
up, reason `overdue`; at city tier it is put under supervision (督办). Set-based: a batch of SQL
statements per few thousand issues, never a save() per issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Substr
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from dispatch.models import PREFIX_LENGTH, TIERS, Tier, tier_above, tier_index

from .deadlines import add_working_days
from .models import Category, EscalationReason, Issue, IssueEvent, SupervisionOrder
from .services import queue_event_side_effects


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

    Set-based: per batch, on PostgreSQL one statement that locks (SKIP LOCKED), updates and
    writes the events; elsewhere a SELECT of ids, an UPDATE and an INSERT of events. Memory
    stays flat and each batch costs the same however large the backlog. Tiers are swept top
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
        orders=True,
    )
    for tier in (Tier.COUNTY, Tier.TOWN, Tier.VILLAGE):
        new_tier = tier_above(tier)
        keep = PREFIX_LENGTH[new_tier]  # type: ignore[index]
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
                "due_at": _due_case(new_tier, as_of),  # type: ignore[arg-type]
                "supervised_at": None,
                # The work order and what belongs to the tier left behind (as services._arrive).
                "acknowledged_at": None,
                "ack_due_at": None,
                "handed_back_from": [],
                "arbitrated": False,
                "extension_count": 0,
                "pending_extension": None,
                "supervision": None,
                "escalation_count": F("escalation_count") + 1,
                "peak_tier": Case(
                    When(
                        ~Q(peak_tier__in=TIERS[tier_index(new_tier) :]),  # type: ignore[arg-type]
                        then=Value(new_tier),
                    ),
                    default=F("peak_tier"),
                ),
            },
            event={"kind": IssueEvent.Kind.ESCALATED, "tier_from": tier, "tier_to": new_tier},
            as_of=as_of,
        )
    return moved


def _overdue_at(tier: str, as_of: datetime):
    # A merged issue waits for nothing: its survivor carries the deadline.
    return Issue.objects.filter(tier=tier, due_at__lt=as_of).exclude(
        status__in=[Issue.Status.RESOLVED, Issue.Status.MERGED]
    )


def _sweep(
    pending, batch_size: int, *, update: dict, event: dict, as_of: datetime, orders: bool = False
) -> int:
    """Apply `update` to the rows of `pending`, a batch per transaction, with one event each.

    Each batch is the next rows of `pending` in deadline order after the last row of the
    previous batch (a keyset on the sweep index's (due_at, id)), not the first rows still
    pending: the rows a batch moves leave dead entries in the index until vacuum, and reading
    from the start again would step over all of them, so that each batch cost more than the
    one before and the sweep grew with the square of the backlog. On PostgreSQL, rows another
    transaction holds (a concurrent sweep or a manual transition) are skipped and left for the
    next run; on SQLite the IMMEDIATE transaction already excludes every other writer. With
    `orders`, each issue also gets a supervision order (督办单) from the system, in two more
    statements.
    """
    update = {**update, "version": F("version") + 1}
    total = 0
    last: tuple[datetime, int] | None = None
    while True:
        with transaction.atomic():
            batch = _after(pending, last).order_by("due_at", "id")
            if connection.vendor == "postgresql":
                moved = _move_in_one_statement(batch, batch_size, update, event, as_of)
                if moved is None:
                    return total
                count, last, event_ids = moved
                if orders:
                    issued = IssueEvent.objects.filter(id__in=event_ids)
                    _insert_orders(list(issued.values_list("issue_id", flat=True)), at=as_of)
            else:
                rows = list(batch.values_list("id", "due_at")[:batch_size])
                if not rows:
                    return total
                ids = [pk for pk, _due in rows]
                last = (rows[-1][1], rows[-1][0])
                Issue.objects.filter(id__in=ids).update(**update)
                if orders:
                    _insert_orders(ids, at=as_of)
                count, event_ids = len(ids), _insert_events(ids, at=as_of, **event)
            queue_event_side_effects(event_ids)
            total += count


def _after(pending, last: tuple[datetime, int] | None):
    if last is None:
        return pending
    qn = connection.ops.quote_name
    due, pk = last
    params = (connection.ops.adapt_datetimefield_value(due), pk)
    after = f"({qn('due_at')}, {qn('id')}) > (%s, %s)"
    return pending.filter(RawSQL(after, params, output_field=BooleanField()))


def _move_in_one_statement(batch, batch_size: int, update: dict, event: dict, as_of: datetime):
    """One batch on PostgreSQL in one statement: the batch's rows locked (SKIP LOCKED), updated
    and given their events, the shape of the hand-written sweep, so the database does not
    wait on a round trip and a list of 2,000 ids three times a batch. Returns how many moved,
    the last (due_at, id) before the move, and the new events' ids; None when none is left."""
    qn = connection.ops.quote_name
    select_sql, select_params = (
        batch.select_for_update(skip_locked=True)
        .values("id", "due_at")[:batch_size]
        .query.sql_with_params()
    )
    query = UpdateQuery(Issue)
    query.add_update_values(update)
    update_sql, update_params = query.get_compiler(connection=connection).as_sql()
    issue, events = qn(Issue._meta.db_table), qn(IssueEvent._meta.db_table)
    sql = f"""
        WITH batch AS ({select_sql}),
        moved AS ({update_sql} FROM batch WHERE {issue}.{qn("id")} = batch.id
                  RETURNING {issue}.{qn("id")} AS id, batch.due_at AS due_at),
        written AS (
            INSERT INTO {events} (issue_id, kind, tier_from, tier_to, reason, note, rating, at)
            SELECT id, %s, %s, %s, %s, '', '', %s FROM moved RETURNING id)
        SELECT (SELECT count(*) FROM moved), m.due_at, m.id,
               (SELECT array_agg(id) FROM written)
        FROM moved m ORDER BY m.due_at DESC, m.id DESC LIMIT 1
    """
    params = [
        *select_params,
        *update_params,
        event["kind"],
        event["tier_from"],
        event["tier_to"],
        EscalationReason.OVERDUE.value,
        as_of,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    count, due, pk, event_ids = row
    return count, (due, pk), event_ids


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
    params: list[Any] = [kind, tier_from, tier_to, EscalationReason.OVERDUE.value]
    params += [connection.ops.adapt_datetimefield_value(at), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _insert_orders(ids: list[int], *, at: datetime) -> None:
    """Issue the system's supervision orders to a batch of issues in one INSERT ... SELECT
    (numbered after the issue's earlier orders), then point each issue at its new order."""
    qn = connection.ops.quote_name
    orders = qn(SupervisionOrder._meta.db_table)
    issues = qn(Issue._meta.db_table)
    reply_by = add_working_days(at, settings.SANBUFU_SUPERVISION_REPLY_DAYS)
    assigned = Issue.Status.ASSIGNED.value
    sql = (
        f"INSERT INTO {orders} (issue_id, tier, holder_id, department_id, issued_at, note, "
        "reply_by, sequence, reply) "
        f"SELECT i.id, i.tier, i.holder_id, CASE WHEN i.status = %s THEN i.department_id END, "
        f"%s, '', %s, (SELECT COUNT(*) FROM {orders} o WHERE o.issue_id = i.id) + 1, '' "
        f"FROM {issues} i WHERE i.id IN ({', '.join(['%s'] * len(ids))})"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [assigned, adapt(at), adapt(reply_by), *ids])
    latest = SupervisionOrder.objects.filter(issue=OuterRef("pk")).order_by("-id").values("id")
    Issue.objects.filter(id__in=ids).update(supervision=Subquery(latest[:1]))
