"""Every migration can run on a live database without holding a long lock. Two readings,
both judged by django-migration-linter's PostgreSQL rules (which also refuse CREATE INDEX
without CONCURRENTLY on an existing table): the SQL `sqlmigrate` shows for each migration,
and the SQL each migration really runs when a scratch database is migrated from nothing,
which includes what a RunPython executes and sqlmigrate cannot show. CI runs these against
PostgreSQL as a gate before the suites."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import pytest
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django_migration_linter import MigrationLinter
from django_migration_linter.sql_analyser.analyser import analyse_sql_statements
from django_migration_linter.sql_analyser.postgresql import PostgresqlAnalyser

from common.migrations import AddIndexConcurrently
from ops.models import TaskRun

from ..issues.test_celery_worker import BASE_DIR, database_url
from .test_backup import libpq_env

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
    "dispatch.0004_department_members": (
        "widens membership.role from 6 to 10 characters (in PostgreSQL a varchar widened is a "
        "change of the catalogue, no rewrite) and indexes and constrains the membership "
        "table: one row per office member, leader and department member, a few thousand at a "
        "province, locked for milliseconds"
    ),
    "issues.0008_work_orders": (
        "widens issueevent.kind from 16 to 24 characters, which PostgreSQL records in its "
        "catalogue without rewriting or scanning the event table; its other operations create "
        "new tables and add nullable columns"
    ),
    "issues.0009_list_index_drop_duplicates": (
        "drops four indexes that repeated another's head: DROP INDEX is a catalogue change "
        "that holds its lock for milliseconds (it waits for running statements on the table "
        "first); the new list index is built CONCURRENTLY"
    ),
    "issues.0005_category_sort_order": (
        "adds a NOT NULL column with a constant default to the category table, a few dozen "
        "rows: no rewrite, no scan (PostgreSQL 11+)"
    ),
}


@pytest.mark.postgres  # the locks in question are PostgreSQL's, read from its SQL
def test_every_migration_is_safe_on_a_live_database(transactional_db, capsys):
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


# migrate, with the schema editor's log of each statement it executes turned on.
MIGRATE = """
import logging, django
django.setup()
logging.getLogger("django.db.backends.schema").setLevel(logging.DEBUG)
from django.core.management import call_command
call_command("migrate", interactive=False)
"""


def executed_statements(url: str) -> dict[str, list[str]]:
    """Migrate the database at `url` from nothing; the statements each migration ran."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=url,
        LOG_FORMAT="json",
        PYTHONUNBUFFERED="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", MIGRATE],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    statements: dict[str, list[str]] = {}
    current = None
    # "Applying app.name..." opens a migration; its statements follow as log lines.
    for match in re.finditer(r"Applying (\w+\.\w+)\.\.\.|(\{\"time\".*)", done.stdout):
        if match.group(1):
            current = match.group(1)
            statements[current] = []
            continue
        line = json.loads(match.group(2))
        if line.get("logger") == "django.db.backends.schema" and current:
            statements[current].append(line["message"].rsplit("; (params", 1)[0])
    return statements


@pytest.mark.postgres
@pytest.mark.slow
def test_the_sql_every_migration_runs_is_safe_on_a_live_database(db):
    name = f"ops_migrate_{uuid.uuid4().hex[:12]}"
    env = libpq_env("postgres")
    subprocess.run(["createdb", name], env=env, check=True)
    try:
        ran = executed_statements(database_url().rsplit("/", 1)[0] + f"/{name}")
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", name], env=env, check=True)
    assert "issues.0001_initial" in ran and ran["issues.0001_initial"]
    unsafe = {}
    for migration, statements in ran.items():
        if migration.split(".")[0] in THIRD_PARTY or migration in REVIEWED:
            continue
        errors, _ignored, warnings = analyse_sql_statements(PostgresqlAnalyser, statements, [])
        if errors or warnings:
            unsafe[migration] = [issue.message for issue in errors + warnings]
    assert unsafe == {}


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
