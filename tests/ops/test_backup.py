"""The backup service's command (deploy/backup.sh) against a real PostgreSQL: its dump,
restored into an empty database as the README says, gives the same statistics; dumps older
than the retention are deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from issues.models import Issue
from issues.tasks import escalate_overdue_task

from ..factories import CategoryFactory, IssueFactory, bulk_issues
from ..issues.test_celery_worker import BASE_DIR, database_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# The figures an office reads: the closure statistics of the whole territory, per town, and
# how many rows each table holds.
STATISTICS = """
import json, django
django.setup()
from django.apps import apps
from issues.selectors import stats
figures = {
    "all": stats(),
    "lanting": stats(within="330603008000"),
    "rows": {m._meta.label: m._default_manager.count() for m in apps.get_models()},
}
print(json.dumps(figures, default=str, sort_keys=True))
"""


def statistics(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", STATISTICS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def libpq_env(name: str) -> dict:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db.get("HOST") or "127.0.0.1", "PGDATABASE": name}
    env["PGPORT"] = str(db.get("PORT") or 5432)
    env["PGUSER"] = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


@pytest.fixture
def scratch_database():
    """An empty database of a unique name, dropped afterwards."""
    name = f"ops_restore_{uuid.uuid4().hex[:12]}"
    env = libpq_env("postgres")
    subprocess.run(["createdb", name], env=env, check=True)
    try:
        yield name
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", name], env=env, check=True)


def test_a_backup_restores_into_an_empty_database_with_equal_statistics(
    transactional_db, tmp_path, scratch_database, village_cadre, town_office
):
    now = timezone.now()
    water = CategoryFactory(code="water")
    bulk_issues(30, due_at=now - timedelta(hours=1), category=water)
    bulk_issues(20, due_at=now + timedelta(days=3), tier="town", category=water)
    escalate_overdue_task.apply()  # 30 move to town, with their events
    for _ in range(3):
        IssueFactory(actor=village_cadre, category=water)
    Issue.objects.filter(pk__in=Issue.objects.order_by("id").values("pk")[:5]).update(
        status=Issue.Status.RESOLVED, resolved_at=now, resolved_tier="town"
    )
    before = statistics(database_url())
    assert before["all"]["found"] == 53 and before["all"]["resolved"] == 5

    backups = tmp_path / "backups"
    backups.mkdir()
    stale = backups / "sanbufu-20200101T000000Z.dump"
    stale.write_bytes(b"old")
    old = time.time() - 15 * 86400
    os.utime(stale, (old, old))
    env = {**libpq_env(connection.settings_dict["NAME"]), "BACKUP_DIR": str(backups)}
    env["BACKUP_KEEP_DAYS"] = "14"
    done = subprocess.run(
        ["sh", str(BASE_DIR / "deploy" / "backup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (dump,) = backups.glob("sanbufu-*.dump")  # the stale one is gone
    assert dump != stale and dump.stat().st_size > 1000

    # The README's restore: into an empty database, all or nothing.
    restored = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={scratch_database}",
            str(dump),
        ],
        env=libpq_env(scratch_database),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restored.returncode == 0, restored.stderr
    url = database_url().rsplit("/", 1)[0] + f"/{scratch_database}"
    assert statistics(url) == before
