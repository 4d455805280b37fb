"""Time one run of the sweep over a large backlog of overdue issues, on a fresh database.

    DEBUG=1 .venv/bin/python bench/bench_sweep.py --issues 20000
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanbufu \
        .venv/bin/python bench/bench_sweep.py --issues 100000

The database is a separate one named bench_sanbufu (created, migrated and dropped like a
test database), so neither the development data nor a running test session is touched.
The issues are inserted in bulk at village tier, spread over real villages of Shaoxing,
all past their deadline; the sweep then moves every one of them to its town. Prints the
seconds the sweep took, the SQL statements it issued, and its peak Python memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VILLAGES = [
    "330603008250",
    "330603008258",
    "330602002045",
    "330602002001",
    "330683105265",
    "330681201247",
]


def main() -> None:
    """Build the backlog, sweep it, and print the time, the statements and the memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--trace-memory", action="store_true", help="measure peak Python memory (slower)"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanbufu.settings")
    import django
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    name = "bench_sanbufu"
    if db["ENGINE"].endswith("sqlite3"):
        name = str(Path(db["NAME"]).with_name("bench_sanbufu.sqlite3"))
    db.setdefault("TEST", {})["NAME"] = name

    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        from issues.models import Issue
        from issues.sweep import escalate_overdue
        from tests.factories import bulk_issues

        due = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        start = time.perf_counter()
        bulk_issues(args.issues, due_at=due, divisions=VILLAGES, with_events=False)
        print(
            f"{connection.vendor}: {args.issues} overdue issues created in "
            f"{time.perf_counter() - start:.1f} s"
        )

        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        batch = args.batch_size or settings.SANBUFU_SWEEP_BATCH
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.trace_memory:
            tracemalloc.start()  # slows Python down: time a run without it
        start = time.perf_counter()
        with connection.execute_wrapper(count):
            moved = escalate_overdue(as_of=due + timedelta(minutes=1), batch_size=batch)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else 0
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        assert moved["village"] == args.issues, moved
        assert Issue.objects.filter(tier="town").count() == args.issues
        print(f"sweep: moved {moved} with batches of {batch}")
        print(f"elapsed: {seconds:.2f} s ({args.issues / seconds:,.0f} issues/s)")
        print(f"SQL statements: {statements}")
        if args.trace_memory:
            print(f"peak Python memory during the sweep: {peak / 2**20:.1f} MiB")
        print(f"process max RSS: {rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} after")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
