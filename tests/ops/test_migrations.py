"""Every migration can run on a live database without holding a long lock
(django-migration-linter, reading the SQL each migration runs on this database; on
PostgreSQL it also refuses CREATE INDEX without CONCURRENTLY on an existing table). CI runs
this against PostgreSQL as a gate before the suites."""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django_migration_linter import MigrationLinter

from common.migrations import AddIndexConcurrently
from ops.models import TaskRun

# Third-party apps: their migrations are their maintainers' to review.
THIRD_PARTY = [
    "admin",
    "auth",
    "contenttypes",
    "sessions",
    "authtoken",
    "axes",
    "django_celery_beat",
]

# Migrations reviewed by hand and let through, with why each is safe (or was, when it ran).
REVIEWED = {
    "issues.0002_sweep_index_in_deadline_order": (
        "swapped the sweep's index before the first deployment, when the issue table was "
        "empty; a new index on a filled table uses common.migrations.AddIndexConcurrently"
    ),
    "issues.0004_issue_public_description": (
        "adds a NOT NULL column with a constant default: PostgreSQL (11+) records the default "
        "without rewriting or scanning the table, so the lock lasts milliseconds; the linter "
        "counts it only because code older than the column would not fill it"
    ),
    "contracts.0001_initial": (
        "creates the co-building tables and their indexes together: each index is built on a "
        "table the same migration has just created, empty and unused by anyone yet"
    ),
    "dispatch.0003_membership_grid_alter_membership_role_and_more": (
        "indexes the membership table's new grid column: one row per office member, leader "
        "and grid member (a few thousand at a province), built in milliseconds"
    ),
    "issues.0005_category_sort_order": (
        "adds a NOT NULL column with a constant default to the category table, a few dozen "
        "rows: no rewrite, no scan (PostgreSQL 11+)"
    ),
}


@pytest.mark.postgres  # the locks in question are PostgreSQL's, read from its SQL
def test_every_migration_is_safe_on_a_live_database(db, capsys):
    linter = MigrationLinter(
        exclude_apps=THIRD_PARTY,
        ignore_name=[name.split(".", 1)[1] for name in REVIEWED],
        no_cache=True,
        all_warnings_as_errors=True,
    )
    linter.lint_all_migrations()
    report = capsys.readouterr().out
    assert linter.nb_erroneous == 0, report
    assert linter.nb_total > 10, report  # it did read our migrations
    # Each reviewed exception still exists (a renamed migration must be reviewed again).
    graph = MigrationExecutor(connection).loader.graph
    assert {f"{app}.{name}" for app, name in graph.nodes} >= set(REVIEWED)


@pytest.mark.django_db(transaction=True)
def test_an_index_added_concurrently_is_built_and_removed_on_this_database():
    index = models.Index(fields=["state"], name="ops_taskrun_state_test")
    operation = AddIndexConcurrently("taskrun", index)
    executor = MigrationExecutor(connection)
    before = executor.loader.project_state(("ops", "0001_task_run"))
    after = before.clone()
    operation.state_forwards("ops", after)

    def indexes():
        with connection.cursor() as cursor:
            return connection.introspection.get_constraints(cursor, TaskRun._meta.db_table)

    with connection.schema_editor(atomic=False) as editor:
        operation.database_forwards("ops", editor, before, after)
    assert indexes()["ops_taskrun_state_test"]["index"] is True
    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards("ops", editor, after, before)
    assert "ops_taskrun_state_test" not in indexes()
