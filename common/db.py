"""Database helpers for large tables: an index built without blocking writes, and counting
that stops at a bound and estimates past it."""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.migrations.operations import AddIndex
from django.db.models import QuerySet

# A function that returns the planner's row estimate for a query: EXPLAIN's top "Plan Rows",
# so an estimate costs planning, not a scan. Installed by issues' migration 0005.
COUNT_ESTIMATE_SQL = """
CREATE OR REPLACE FUNCTION sanbufu_count_estimate(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  RETURN (plan->0->'Plan'->>'Plan Rows')::bigint;
END $$;
"""


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, where a plain CREATE INDEX over millions of
    issues would block the sweep and every transition while it builds; a plain AddIndex
    elsewhere (SQLite has no such option and no concurrent writers to spare). The migration
    using it sets `atomic = False`."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


def install_count_estimate(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COUNT_ESTIMATE_SQL)


def remove_count_estimate(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS sanbufu_count_estimate(text)")


def bounded_count(queryset: QuerySet, bound: int) -> tuple[int, bool]:
    """How many rows `queryset` has, exactly up to `bound`, and past it the planner's estimate
    (at least bound + 1) on PostgreSQL; returns (count, exact). One query either way: counting
    a million visible rows for every page costs more than the page itself.

    Elsewhere (SQLite, a development database) the count is exact."""
    qs = queryset.order_by().values("pk")
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return qs.count(), True
    try:
        capped_sql, capped_params = qs[: bound + 1].query.sql_with_params()
        full_sql, full_params = qs.query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing (`none()`, no jurisdiction)
        return 0, True
    with connection.cursor() as cursor:
        # The estimate is planned only when the capped count reaches past the bound.
        inner = cursor.mogrify(full_sql, full_params)
        if isinstance(inner, bytes):
            inner = inner.decode()
        cursor.execute(
            f"SELECT n, CASE WHEN n > %s THEN greatest(sanbufu_count_estimate(%s), %s) END "
            f"FROM (SELECT count(*) AS n FROM ({capped_sql}) AS capped) AS c",
            [bound, inner, bound + 1, *capped_params],
        )
        n, estimate = cursor.fetchone()
    if estimate is None:
        return n, True
    return estimate, False
