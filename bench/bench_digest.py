"""Time the morning reminder (催办) over a province-sized table of unresolved issues.

    DEBUG=1 .venv/bin/python bench/bench_digest.py --issues 200000
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanbufu \
        .venv/bin/python bench/bench_digest.py --issues 200000

On a fresh database named bench_sanbufu (created, migrated and dropped like a test database):
the divisions of all of Zhejiang, one office member for each town, and the issues spread over
its villages and held by their towns, a third overdue, a third amber and a third green. Prints
the seconds the digest took to compose every reminder, its SQL statements, and how many
users it reminds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=200_000)
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

    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from django.utils import timezone

    old = setup_databases(verbosity=0, interactive=False)
    try:
        from dispatch.models import Division, Membership
        from issues.notifications import digest
        from tests.factories import bulk_issues

        call_command("import_divisions", str(BASE_DIR / "data/divisions-zhejiang.csv"), verbosity=0)
        villages = list(Division.objects.filter(tier="village").values_list("code", flat=True))
        towns = list(Division.objects.filter(tier="town").values_list("code", flat=True))
        users = get_user_model().objects.bulk_create(
            [get_user_model()(username=f"office{c}", email=f"{c}@example.org") for c in towns]
        )
        if users[0].pk is None:
            users = list(get_user_model().objects.filter(username__startswith="office"))
        Membership.objects.bulk_create(
            [
                Membership(user_id=u.pk, division_id=u.username[len("office") :], role="office")
                for u in users
            ]
        )
        now = timezone.now()
        start = time.perf_counter()
        third = args.issues // 3
        # bulk_issues puts each issue's arrival three days before its deadline.
        for due, n in (
            (now - timedelta(days=1), third),  # red
            (now + timedelta(hours=12), third),  # amber: five sixths of the time used
            (now + timedelta(days=2), args.issues - 2 * third),  # green
        ):
            bulk_issues(n, due_at=due, tier="town", divisions=villages, with_events=False)
        print(
            f"{connection.vendor}: {len(villages)} villages, {len(towns)} towns, "
            f"{args.issues} unresolved issues created in {time.perf_counter() - start:.1f} s"
        )

        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        start = time.perf_counter()
        with connection.execute_wrapper(count):
            mails, texts = digest(now)
        seconds = time.perf_counter() - start
        print(f"digest: {len(mails)} reminders composed in {seconds:.2f} s")
        print(f"SQL statements: {statements}")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
