"""Time the co-building statistics over a city's worth of co-building, on a fresh database.

    DEBUG=1 .venv/bin/python bench/bench_contract_stats.py
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanbufu \
        .venv/bin/python bench/bench_contract_stats.py --scale 10

The data set is the city's own figures since 2019 (1,243 units with contracts, 236
resources, 518 co-building projects, 578 part-time committee members), times `--scale`,
inserted in bulk over real communities of Shaoxing (tests.contracts.builders). The database
is a separate one named bench_sanbufu, created and dropped like a test database. Prints the
figures, the SQL statements the statistics took and the time.
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
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
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

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        from contracts.selectors import stats
        from tests.contracts.builders import CITY_FIGURES, bulk_co_building

        start = time.perf_counter()
        for _ in range(args.scale):
            bulk_co_building()
        print(
            f"{connection.vendor}: {args.scale} × {CITY_FIGURES} created in "
            f"{time.perf_counter() - start:.1f} s"
        )
        user = get_user_model().objects.create(username="bench", is_superuser=True)

        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        times = []
        for _ in range(args.repeat):
            statements = 0
            start = time.perf_counter()
            with connection.execute_wrapper(count):
                figures = stats(user)
            times.append(time.perf_counter() - start)
        for key in ("units_with_contracts", "resources", "projects", "committee_members"):
            print(f"{key}: {figures[key]}")
        print(f"contracts by step: {figures['contracts_by_step']}")
        print(f"SQL statements: {statements}")
        print(f"best of {args.repeat}: {min(times) * 1000:.1f} ms")
        expected = {k: v * args.scale for k, v in CITY_FIGURES.items()}
        assert figures["units_with_contracts"] == expected["units"], figures
        assert figures["resources"] == expected["resources"], figures
        assert figures["projects"] == expected["projects"], figures
        assert figures["committee_members"] == expected["members"], figures
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
