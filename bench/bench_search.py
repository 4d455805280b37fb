"""Time the keyword search of the issue list over a large table, on a fresh database.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanbufu \
        .venv/bin/python bench/bench_search.py --issues 100000

The database is a separate one named bench_search_sanbufu (created, migrated and dropped
like a test database). The issues get titles and descriptions drawn from the demo's
problems with a random number and place words, so words repeat as they do in real diaries.
For each query the page's two statements (the count and the first page, as the pager runs
them) are timed over several runs; the median is printed with PostgreSQL's plan of the
count, which shows whether the trigram index (migration issues 0007) served it. Words of
three characters or more can use the index; shorter ones read every visible row.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
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
QUERIES = ["水管破裂", "PIPE-4711", "王阿姨", "路灯", "13800004711"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanbufu.settings")
    import django
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    name = "bench_search_sanbufu"
    if db["ENGINE"].endswith("sqlite3"):
        name = str(Path(db["NAME"]).with_name("bench_search_sanbufu.sqlite3"))
    db.setdefault("TEST", {})["NAME"] = name

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from django.utils import timezone

    old = setup_databases(verbosity=0, interactive=False)
    try:
        from dispatch.models import Tier
        from issues.models import Category, Issue
        from sanbufu.demo import PEOPLE_ISSUES
        from tests.factories import division

        for code in VILLAGES:
            division(code)
        water = Category.objects.get(code="water")
        rng = random.Random(2026)
        names = ["王阿姨", "李师傅", "陈先生", "赵女士", "孙大伯", "周老师"]
        now = timezone.now()
        start = time.perf_counter()
        for first in range(0, args.issues, 5000):
            rows = []
            for i in range(first, min(args.issues, first + 5000)):
                _code, title, description = rng.choice(PEOPLE_ISSUES)
                village = VILLAGES[i % len(VILLAGES)]
                rows.append(
                    Issue(
                        title=f"{title}（{i}）",
                        description=f"{description} 编号 PIPE-{i}",
                        reporter_name=rng.choice(names),
                        reporter_phone=f"138{i:08d}",
                        category=water,
                        division_id=village,
                        raised_on=now.date(),
                        raised_at=now,
                        tier=Tier.VILLAGE,
                        holder_id=village,
                        peak_tier=Tier.VILLAGE,
                        arrived_at=now,
                        due_at=now,
                    )
                )
            Issue.objects.bulk_create(rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE issues_issue")
        print(
            f"{connection.vendor}: {args.issues} issues created in "
            f"{time.perf_counter() - start:.1f} s"
        )

        admin = get_user_model().objects.create(username="bench", is_superuser=True)
        for q in QUERIES:
            issues = Issue.objects.visible_to(admin).for_list().search(q)
            page = issues.order_by("due_at", "pk")
            timings = []
            for _ in range(args.runs):
                start = time.perf_counter()
                found = page.count()
                rows = list(page[:25])
                timings.append(time.perf_counter() - start)
            print(
                f"search {q!r}: {found} found, {len(rows)} on the page; median "
                f"{statistics.median(timings) * 1000:.1f} ms, best {min(timings) * 1000:.1f} ms"
            )
            if connection.vendor == "postgresql":
                sql, params = page.query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"EXPLAIN (ANALYZE, COSTS OFF) SELECT COUNT(*) FROM ({sql}) s", params
                    )
                    plan = [row[0] for row in cursor.fetchall()]
                uses = "trigram index" if any("issue_search_trgm" in p for p in plan) else "scan"
                print(f"    count served by: {uses}; {plan[-1].strip()}")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
