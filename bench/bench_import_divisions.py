"""Time import_divisions on a fresh throwaway database: a first run and a second run.

    DEBUG=1 .venv/bin/python bench/bench_import_divisions.py [FILE.csv]
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanbufu \
        .venv/bin/python bench/bench_import_divisions.py

FILE defaults to data/divisions-zhejiang.csv (27,035 rows). The database is a
separate one named bench_sanbufu (created and dropped like a test database), so neither the
development data nor a running test session is touched.
"""

from __future__ import annotations

import os
import sys
import time
from io import StringIO
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_FILE = BASE_DIR / "data" / "divisions-zhejiang.csv"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FILE
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

    from django.core.management import call_command
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"{db['ENGINE'].rsplit('.', 1)[-1]}: {path}")
        for label in ("first run", "second run"):
            out = StringIO()
            start = time.perf_counter()
            call_command("import_divisions", str(path), stdout=out)
            seconds = time.perf_counter() - start
            print(f"{label}: {seconds:.2f} s  ({out.getvalue().strip()})")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
