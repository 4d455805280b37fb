"""Every measurement at province scale beside its reference, interleaved, on one PostgreSQL:
`make bench` runs it, prints the table and writes bench/RESULTS.md.

    .venv/bin/python bench/bench_province.py [--issues 1000000] [--seconds 10]

The province (bench/province.py, database `sanbufu_bench`) is built when absent and reused.
The sweep mutates what it sweeps, so it runs on a second database, `sanbufu_bench_sweep`,
loaded afresh with K overdue village issues before every run (sanbufu and the reference
alternately), each run in its own process so its peak memory is its own. Statistics, the
admin and convening run in this process against the province; the API runs under gunicorn
(two workers) with wrk on 127.0.0.1, the bare references mounted by bench/urls.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench import province  # noqa: E402

PY = sys.executable
SWEEP_URL = os.environ.get(
    "BENCH_SWEEP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sanbufu_bench_sweep"
)
NOTES = "<!-- notes: kept by bench_province.py across runs -->"
WEEK = "2030-W02"  # a week no real meeting has: convened and deleted by the benchmark
COUNTY = "330603000000"  # 柯桥区


# References -----------------------------------------------------------------------------------

HAND_STATS_SQL = """
SELECT count(*),
  count(*) FILTER (WHERE resolved_on_spot AND status = 'resolved'),
  count(*) FILTER (WHERE peak_tier IN ('town', 'county', 'city')),
  count(*) FILTER (WHERE peak_tier IN ('county', 'city')),
  count(*) FILTER (WHERE peak_tier = 'city'),
  count(*) FILTER (WHERE status = 'resolved'),
  count(*) FILTER (WHERE status = 'resolved' AND resolved_at <= due_at),
  count(*) FILTER (WHERE status <> 'resolved' AND due_at < now()),
  count(*) FILTER (WHERE status = 'resolved' AND resolved_tier = 'village'),
  count(*) FILTER (WHERE status = 'resolved' AND resolved_tier = 'town'),
  count(*) FILTER (WHERE status = 'resolved' AND resolved_tier = 'county'),
  count(*) FILTER (WHERE status = 'resolved' AND resolved_tier = 'city')
FROM issues_issue WHERE division_id LIKE %s
"""
HAND_CATEGORIES_SQL = """
SELECT c.code, count(*), count(*) FILTER (WHERE i.status = 'resolved')
FROM issues_issue i JOIN issues_category c ON c.id = i.category_id
WHERE i.division_id LIKE %s GROUP BY c.code ORDER BY 2 DESC, 1
"""


def hand_stats(prefix: str) -> dict:
    """The statistics' figures by hand: one aggregate and one GROUP BY, no ORM."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(HAND_STATS_SQL, [prefix + "%"])
        totals = cursor.fetchone()
        cursor.execute(HAND_CATEGORIES_SQL, [prefix + "%"])
        categories = cursor.fetchall()
    return {"totals": totals, "by_category": categories}


# The sweep by hand: one statement per tier, top down, moving every overdue issue and writing
# its event (no outbox, no category overrides: the benchmark has none).
HAND_SWEEP_SQL = {
    "city": """
WITH moved AS (
  UPDATE issues_issue SET supervised_at = %(as_of)s, version = version + 1
  WHERE tier = 'city' AND due_at < %(as_of)s AND status <> 'resolved'
    AND supervised_at IS NULL RETURNING id)
INSERT INTO issues_issueevent (issue_id, kind, tier_from, tier_to, reason, note, rating, at)
SELECT id, 'supervised', 'city', 'city', 'overdue', '', '', %(as_of)s FROM moved""",
    **{
        low: f"""
WITH moved AS (
  UPDATE issues_issue SET tier = '{high}',
    holder_id = substr(division_id, 1, {keep}) || repeat('0', {12 - keep}),
    status = 'open', department_id = NULL, claimed_by_id = NULL, arrived_at = %(as_of)s,
    due_at = %(due)s, supervised_at = NULL, escalation_count = escalation_count + 1,
    peak_tier = CASE WHEN peak_tier IN ({peaks}) THEN peak_tier ELSE '{high}' END,
    version = version + 1
  WHERE tier = '{low}' AND due_at < %(as_of)s AND status <> 'resolved' RETURNING id)
INSERT INTO issues_issueevent (issue_id, kind, tier_from, tier_to, reason, note, rating, at)
SELECT id, 'escalated', '{low}', '{high}', 'overdue', '', '', %(as_of)s FROM moved"""
        for low, high, keep, peaks in (
            ("county", "city", 4, "'city'"),
            ("town", "county", 6, "'county', 'city'"),
            ("village", "town", 9, "'town', 'county', 'city'"),
        )
    },
}

# K overdue village issues spread over every village of the province.
BACKLOG_SQL = """
WITH v AS (SELECT array_agg(code ORDER BY code) AS a, count(*)::int AS n
           FROM dispatch_division WHERE tier = 'village')
INSERT INTO issues_issue (
  title, description, public_description, category_id, division_id, reporter_name,
  reporter_phone, raised_on, raised_at, tier, holder_id, peak_tier, status, arrived_at, due_at,
  escalation_count, returned_from, resolution, resolved_tier, resolved_on_spot, rating, version)
SELECT '批量问题' || g, '', '', %(category)s, village, '', '', %(arrived)s::date, %(arrived)s,
  'village', village, 'village', 'open', %(arrived)s, %(due)s, 0, '[]'::jsonb, '', '', false,
  '', 1
FROM (SELECT g, v.a[1 + (g * 2654435761 %% v.n)::int] AS village
      FROM generate_series(1::bigint, %(k)s::bigint) AS g, v) AS rows
"""
SWEEP_DUE = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def sweep_load(k: int) -> None:
    """Empty the sweep database's issues and load K overdue ones (its own process)."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection

    from dispatch.models import Division

    province.create_database(connection.settings_dict["NAME"])
    call_command("migrate", verbosity=0, interactive=False)
    if not Division.objects.exists():
        call_command(
            "import_divisions", str(BASE_DIR / "data" / "divisions-zhejiang.csv"), verbosity=0
        )
    from issues.models import Category

    category, _ = Category.objects.get_or_create(
        code="water", defaults={"name_zh": "供水", "name_en": "water"}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE issues_issueevent, issues_agendaitem, issues_issue, durable_outboxmessage "
            "RESTART IDENTITY CASCADE"
        )
        # The backlog's references are right by construction: no foreign-key trigger per row.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            BACKLOG_SQL,
            {
                "k": k,
                "category": category.pk,
                "arrived": SWEEP_DUE - timedelta(days=3),
                "due": SWEEP_DUE,
            },
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE issues_issue")
        cursor.execute("VACUUM ANALYZE issues_issueevent")


def sweep_run(impl: str) -> dict:
    """One sweep over the loaded backlog: seconds, statements, peak memory of this process."""
    from datetime import timedelta

    from django.db import connection, transaction

    from issues.deadlines import add_working_days
    from issues.models import Issue

    as_of = SWEEP_DUE + timedelta(minutes=1)
    k = Issue.objects.count()
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    start = time.perf_counter()
    with connection.execute_wrapper(count):
        if impl == "sanbufu":
            from issues.sweep import escalate_overdue

            moved = escalate_overdue(as_of=as_of)["village"]
        else:
            moved = 0
            for tier in ("city", "county", "town", "village"):
                due = add_working_days(as_of, 7)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(HAND_SWEEP_SQL[tier], {"as_of": as_of, "due": due})
                    if tier == "village":
                        moved = cursor.rowcount
    seconds = time.perf_counter() - start
    assert moved == k, (moved, k)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "statements": statements, "rss_mib": rss, "moved": moved}


def _child(*args: str, url: str | None = None) -> dict:
    env = {**os.environ, "BENCH_DATABASE_URL": url or SWEEP_URL}
    out = subprocess.run(
        [PY, __file__, *args], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_sweep(n: int, log, divisors: list[int]) -> list[dict]:
    rows = []
    for i, k in enumerate(n // d for d in divisors):
        pair = {}
        for impl in ("sanbufu", "reference") if i % 2 == 0 else ("reference", "sanbufu"):
            _child("_sweep_load", str(k))
            pair[impl] = _child("_sweep_run", impl)
            log(f"  sweep {k:>9,} {impl:9} {pair[impl]['seconds']:8.2f} s")
        rows.append({"k": k, **pair})
    return rows


# In-process measurements on the province ------------------------------------------------------


def timed(fn, repeat: int = 5) -> float:
    """Median seconds of `repeat` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(a, b, repeat: int = 5) -> tuple[float, float]:
    """Median seconds of a and b, called alternately so both see the same machine."""
    a(), b()
    ta, tb = [], []
    for _ in range(repeat):
        for fn, acc in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def measure_stats() -> list[dict]:
    from issues.models import Issue
    from issues.selectors import stats

    rows = []
    for label, within, prefix in (("province", None, "33"), ("one county", COUNTY, "330603")):
        ours, ref = interleaved(
            lambda w=within: stats(Issue.objects.all(), within=w),
            lambda p=prefix: hand_stats(p),
        )
        rows.append({"what": f"`stats()` {label}", "ours": ours, "ref": ref})
    return rows


def measure_admin() -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=province.ADMIN_USER))
    rows = []
    for label, url in (
        ("admin dashboard", "/admin/"),
        ("admin issue list", "/admin/issues/issue/"),
        ("admin issue list, page 200", "/admin/issues/issue/?p=200"),
        ("admin issue list, one village", "/admin/issues/issue/?village=330603001001"),
        ("admin issue list, search", "/admin/issues/issue/?q=%E9%97%AE%E9%A2%98123456"),
    ):
        assert client.get(url).status_code == 200, url
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        seconds = timed(lambda u=url: client.get(u))
        row = {"what": label, "ours": seconds, "queries": queries}
        if url == "/admin/":
            cache.clear()
            start = time.perf_counter()
            client.get(url)
            row["cold"] = time.perf_counter() - start
        rows.append(row)
    return rows


CONVENE_SQL = [
    # 1: towns with issues from their territory or with members, minus those convened.
    """CREATE TEMP TABLE bench_towns ON COMMIT DROP AS
       SELECT d.code FROM dispatch_division d WHERE d.tier = 'town' AND d.code IN (
         SELECT DISTINCT left(division_id, 9) || '000' FROM issues_issue
         UNION SELECT division_id FROM dispatch_membership)
       AND NOT EXISTS (SELECT 1 FROM issues_meeting m WHERE m.town_id = d.code
                       AND m.week = %(week)s)""",
    # 2: the week's figures of every town at once, grouped by the town prefix.
    """CREATE TEMP TABLE bench_stats ON COMMIT DROP AS
       SELECT left(division_id, 9) || '000' AS town, json_build_object(
         'found', count(*), 'resolved', count(*) FILTER (WHERE status = 'resolved'),
         'overdue', count(*) FILTER (WHERE status <> 'resolved' AND due_at < now())) AS stats
       FROM issues_issue WHERE raised_on BETWEEN %(monday)s AND %(monday)s::date + 6
       GROUP BY 1""",
    # 3: the meetings.
    """INSERT INTO issues_meeting (town_id, week, status, stats, minutes, convened_at)
       SELECT t.code, %(week)s, 'open', coalesce(s.stats, '{}'::json), '', now()
       FROM bench_towns t LEFT JOIN bench_stats s ON s.town = t.code""",
    # 4: every agenda item, `new` when no earlier meeting of the town had the issue.
    """INSERT INTO issues_agendaitem (meeting_id, issue_id, new, decision, note)
       SELECT m.id, i.id, NOT EXISTS (
         SELECT 1 FROM issues_agendaitem a JOIN issues_meeting e ON e.id = a.meeting_id
         WHERE a.issue_id = i.id AND e.town_id = m.town_id AND e.week < %(week)s), '', ''
       FROM issues_meeting m JOIN bench_towns t ON t.code = m.town_id
       JOIN issues_issue i ON i.holder_id = m.town_id AND i.status <> 'resolved'
       WHERE m.week = %(week)s""",
]


def measure_convening() -> dict:
    from django.db import connection, transaction

    from common.weeks import parse_week
    from meetings.models import Meeting
    from meetings.services import convene_meetings

    def clear():
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM issues_agendaitem WHERE meeting_id IN "
                "(SELECT id FROM issues_meeting WHERE week = %s)",
                [WEEK],
            )
            cursor.execute("DELETE FROM issues_meeting WHERE week = %s", [WEEK])

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    def ours():
        clear()
        with connection.execute_wrapper(count):
            convene_meetings(week=WEEK)

    def reference():
        clear()
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in CONVENE_SQL:
                cursor.execute(sql, {"week": WEEK, "monday": parse_week(WEEK)})

    times = {"ours": [], "ref": []}
    for _ in range(2):
        for name, fn in (("ours", ours), ("ref", reference)):
            statements = 0
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
            if name == "ours":
                convened = Meeting.objects.filter(week=WEEK).count()
                ours_statements = statements
    clear()
    return {
        "ours": min(times["ours"]),
        "ref": min(times["ref"]),
        "statements": ours_statements,
        "meetings": convened,
    }


def measure_import() -> str:
    env = {**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "1"}
    out = subprocess.run(
        [PY, str(BASE_DIR / "bench" / "bench_import_divisions.py")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(line.strip() for line in out.splitlines() if "s" in line)[:300]


def sizes() -> list[tuple[str, int, int, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid),
                      pg_indexes_size(c.oid)
               FROM pg_class c WHERE c.relname IN ('issues_issue', 'issues_issueevent')
               ORDER BY 1"""
        )
        return cursor.fetchall()


# The API under load --------------------------------------------------------------------------


def token(username: str) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=get_user_model().objects.get(username=username))[0].key


def start_server() -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "PYTHONPATH": str(BASE_DIR),
    }
    log = open(BASE_DIR / "var" / "bench-gunicorn.log", "w+")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "sanbufu.wsgi",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--error-logfile",
            "-",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=BASE_DIR,
    )
    for _ in range(200):
        time.sleep(0.1)
        log.seek(0)
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read())
        if found:
            return server, found.group(1)
    server.terminate()
    raise RuntimeError("gunicorn did not start; see var/bench-gunicorn.log")


def wrk(url: str, key: str, seconds: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            "-c4",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Token {key}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": float(p50.group(1)) * scale,
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def measure_api(seconds: int, log) -> list[dict]:
    import urllib.request

    keys = {"superuser": token(province.ADMIN_USER), "town office": token(province.TOWN_USER)}
    cases = [
        ("issue list", "/api/v1/issues/", "/bench/issues/"),
        (
            "issue list, ?status=open&tier=town",
            "/api/v1/issues/?status=open&tier=town",
            "/bench/issues/?status=open&tier=town",
        ),
        ("issue list, page 100", "/api/v1/issues/?page=100", "/bench/issues/?page=100"),
        ("stats", "/api/v1/stats/", "/bench/stats/"),
    ]
    server, base = start_server()
    rows = []
    try:
        for who, key in keys.items():
            for label, ours, ref in cases:
                if who == "town office" and "page=100" in ours:
                    continue  # the town has fewer than 100 pages
                for path in (ours, ref):
                    request = urllib.request.Request(
                        base + path, headers={"Authorization": f"Token {key}"}
                    )
                    with urllib.request.urlopen(request) as answer:
                        assert answer.status == 200, path
                runs = {"ours": [], "ref": []}
                for _ in range(2):
                    for name, path in (("ours", ours), ("ref", ref)):
                        runs[name].append(wrk(base + path, key, seconds // 2))
                row = {
                    "what": f"{label}, {who}",
                    "ours": sum(r["rps"] for r in runs["ours"]) / 2,
                    "ref": sum(r["rps"] for r in runs["ref"]) / 2,
                    "ours_p50": statistics.median(r["p50_ms"] for r in runs["ours"]),
                    "ref_p50": statistics.median(r["p50_ms"] for r in runs["ref"]),
                    "errors": sum(r["errors"] for rs in runs.values() for r in rs),
                }
                log(f"  {row['what']}: {row['ours']:.1f} vs {row['ref']:.1f} req/s")
                rows.append(row)
    finally:
        server.terminate()
        server.wait(10)
    return rows


def measure_list_queries() -> list[tuple[str, int]]:
    """Queries per API list request at page sizes 10 and 200 (the count must not change)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=province.ADMIN_USER))
    out = []
    for size in (10, 200):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/issues/?page_size={size}").status_code == 200
        out.append((f"page_size={size}", len(queries)))
    return out


# Report ------------------------------------------------------------------------------------


def ratio(ours: float, ref: float) -> str:
    return f"{ours / ref:.2f}" if ref else "—"


def report(n: int, results: dict) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Benchmarks at province scale",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (bench/bench_province.py): "
        f"{n:,} issues over all of Zhejiang's divisions, PostgreSQL, {os.cpu_count()} cores "
        f"({cpu}), Python {platform.python_version()}. The machine was shared with other work "
        "running at the same time, so single figures are noisy; each figure was measured "
        "alternately with its reference in the same run, and the ratios are what to read.",
        "",
        "## Overdue sweep (sanbufu.sweep vs one `WITH moved AS (UPDATE … RETURNING) INSERT` "
        "per tier)",
        "",
        "| overdue issues | sanbufu | statements | peak RSS | reference | ratio |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["sweep"]:
        o, r = row["sanbufu"], row["reference"]
        lines.append(
            f"| {row['k']:,} | {o['seconds']:.2f} s | {o['statements']} | "
            f"{o['rss_mib']:.0f} MiB | {r['seconds']:.2f} s | {ratio(o['seconds'], r['seconds'])} |"
        )
    sweep = results["sweep"]
    if len(sweep) == 3:
        growth = sweep[2]["sanbufu"]["seconds"] / sweep[1]["sanbufu"]["seconds"]
        lines += ["", f"Time at N over time at N/10: {growth:.1f}× (linear: 10×)."]
    lines += [
        "",
        "## Statistics and convening (in process, median of 5)",
        "",
        "| what | sanbufu | reference | ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in results["stats"]:
        lines.append(
            f"| {row['what']} | {row['ours'] * 1000:.0f} ms | {row['ref'] * 1000:.0f} ms | "
            f"{ratio(row['ours'], row['ref'])} |"
        )
    c = results["convening"]
    lines.append(
        f"| convene every town's meeting ({c['meetings']:,} meetings, {c['statements']:,} "
        f"statements) | {c['ours']:.1f} s | {c['ref']:.1f} s (4 statements) | "
        f"{ratio(c['ours'], c['ref'])} |"
    )
    lines += [
        "",
        "## API under load (gunicorn, 2 workers; wrk, 4 connections, on 127.0.0.1)",
        "",
        "Reference: a bare DRF list of the same table with a plain ModelSerializer of the same "
        "fields and DRF's own pagination, scoped by a hand-written prefix filter; for `stats`, "
        "the hand GROUP BY as an endpoint (bench/urls.py).",
        "",
        "| what | sanbufu req/s (p50) | reference req/s (p50) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in results["api"]:
        lines.append(
            f"| {row['what']} | {row['ours']:.1f} ({row['ours_p50']:.0f} ms) | "
            f"{row['ref']:.1f} ({row['ref_p50']:.0f} ms) | {ratio(row['ours'], row['ref'])} |"
        )
    lines += [
        "",
        "Queries per API list request: "
        + ", ".join(f"{k}: {v}" for k, v in results["list_queries"])
        + ".",
        "",
        "## Admin, superuser (in process, median of 5)",
        "",
        "| page | time | queries |",
        "|---|---:|---:|",
    ]
    for row in results["admin"]:
        extra = f" (cold cache: {row['cold'] * 1000:.0f} ms)" if "cold" in row else ""
        lines.append(f"| {row['what']} | {row['ours'] * 1000:.0f} ms{extra} | {row['queries']} |")
    lines += [
        "",
        "## import_divisions (all of Zhejiang, 27,035 rows)",
        "",
        results["import"],
        "",
        "## Sizes",
        "",
        "| table | rows | table | indexes |",
        "|---|---:|---:|---:|",
    ]
    for name, rows, table, indexes in results["sizes"]:
        lines.append(f"| {name} | {rows:,} | {table / 2**20:.0f} MiB | {indexes / 2**20:.0f} MiB |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="wrk time per case")
    parser.add_argument("--skip", default="", help="comma-separated: sweep,api,import")
    parser.add_argument(
        "--sweep-at", default="100,10,1", help="backlogs to sweep, as divisors of --issues"
    )
    args, rest = parser.parse_known_args()
    skip = set(filter(None, args.skip.split(",")))

    def log(line: str) -> None:
        print(line, flush=True)

    os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    # Production's cache: Redis (the dashboard's figures, throttles), shared by the workers.
    os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/5")
    os.environ["DEBUG"] = "0"
    (BASE_DIR / "var").mkdir(exist_ok=True)
    province.setup_django()
    from django.conf import settings

    settings.ALLOWED_HOSTS.append("testserver")
    province.ensure(args.issues, log=log)
    results: dict = {"sweep": [], "api": [], "import": "(skipped)"}
    log("sweep")
    if "sweep" not in skip:
        divisors = [int(d) for d in args.sweep_at.split(",")]
        results["sweep"] = measure_sweep(args.issues, log, divisors)
    log("statistics")
    results["stats"] = measure_stats()
    log("admin")
    results["admin"] = measure_admin()
    log("convening")
    results["convening"] = measure_convening()
    results["list_queries"] = measure_list_queries()
    if "api" not in skip:
        log("API under load")
        results["api"] = measure_api(args.seconds, log)
    if "import" not in skip:
        log("import_divisions")
        results["import"] = measure_import()
    results["sizes"] = sizes()
    text = report(args.issues, results)
    path = BASE_DIR / "bench" / "RESULTS.md"
    # The notes written by hand under NOTES (what a figure means, why a target is missed)
    # outlive the figures they discuss until someone rewrites them.
    old = path.read_text() if path.exists() else ""
    if NOTES in old:
        text += "\n" + old[old.index(NOTES) :]
    path.write_text(text)
    print(text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_sweep"):
        os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key")
        os.environ["DEBUG"] = "0"
        province.setup_django()
        if sys.argv[1] == "_sweep_load":
            sweep_load(int(sys.argv[2]))
            print(json.dumps({"loaded": int(sys.argv[2])}))
        else:
            print(json.dumps(sweep_run(sys.argv[2])))
    else:
        main()
