"""A province's worth of data on PostgreSQL, built once and reused by the benchmarks.

    .venv/bin/python bench/province.py [--issues 1000000] [--rebuild]

The database is `sanbufu_bench` (BENCH_DATABASE_URL overrides it), never the development or
a test database. Built when absent or holding fewer issues than asked: migrated, all of
Zhejiang's divisions (data/divisions-zhejiang.csv: 11 cities, 90 counties, 1,387 towns,
25,547 villages), a cadre posted to every village, two departments in every town and county,
an office member for every town, a leader for every county, a superuser, and N issues made by
the database itself (`INSERT ... SELECT generate_series`, no Python per row) with their
timelines. Reused as it is otherwise, after `migrate` (so index changes reach it).

The mix, deterministic in the row number: found over the last 365 days; 60 % resolved (a
quarter of those on the spot; resolved at village 58 %, town 25 %, county 12 %, city 5 %);
the unresolved at village 50 %, town 30 % (one in three assigned to a department), county
15 % (one in five claimed), city 5 % (overdue and supervised); each unresolved one within
its tier's deadline except at city. Each issue has its `raised` event, one `escalated` per
tier climbed and, when resolved, its `resolved` event.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sanbufu_bench"
PASSWORD = "sanbufu-bench"
# The one-town office member and the town they serve (Shaoxing, Keqiao, Keqiao street):
# a town of the usual size, about 1/1,400 of the province's issues.
TOWN = "330603001000"
TOWN_USER = "bench_town"
ADMIN_USER = "bench_admin"


def setup_django(url: str | None = None) -> None:
    """Point Django at the bench database (before anything imports settings)."""
    os.environ["DATABASE_URL"] = url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanbufu.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def create_database(name: str) -> None:
    """CREATE DATABASE when it is missing (connecting to `postgres` to do so)."""
    import psycopg2
    from django.db import connection

    name = connection.settings_dict["NAME"]
    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def issue_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM issues_issue")
        return cursor.fetchone()[0]


def ensure(n: int, *, rebuild: bool = False, log=print) -> None:
    """Migrate the bench database and build the province in it unless it is already there."""
    from django.core.management import call_command
    from django.db import connection

    create_database(connection.settings_dict["NAME"])
    call_command("migrate", verbosity=0, interactive=False)
    if not rebuild and issue_count() >= n:
        return
    started = time.perf_counter()
    log(f"building the province with {n:,} issues (a few minutes)")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE issues_issueevent, issues_agendaitem, issues_meeting, issues_issue, "
            "dispatch_posting, dispatch_cadre, dispatch_membership, dispatch_department, "
            "issues_category RESTART IDENTITY CASCADE"
        )
        cursor.execute("DELETE FROM auth_user WHERE username LIKE 'bench%%'")
    call_command("import_divisions", str(BASE_DIR / "data" / "divisions-zhejiang.csv"), verbosity=0)
    _people()
    _issues(n)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"built in {time.perf_counter() - started:.0f} s")


def _people() -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    password = make_password(PASSWORD)
    sql = """
    INSERT INTO issues_category (code, name_zh, name_en, sort_order) VALUES
      ('water', '供水', 'water', 100), ('roads', '道路', 'roads', 100),
      ('land', '土地', 'land', 100), ('labour', '劳动', 'labour', 100),
      ('safety', '安全', 'safety', 100), ('ecology', '生态', 'ecology', 100),
      ('business', '营商', 'business', 100), ('welfare', '民生', 'welfare', 100);
    INSERT INTO dispatch_department (name, division_id)
      SELECT d.name, v.code FROM dispatch_division v,
        (VALUES ('综治办'), ('建设办')) AS d(name)
      WHERE v.tier IN ('town', 'county');
    INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,
                           first_name, last_name, email, date_joined)
      SELECT 'bench_' || code, %(password)s, false, false, true, '', '', '', now()
      FROM dispatch_division;
    INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,
                           first_name, last_name, email, date_joined)
      VALUES (%(admin)s, %(password)s, true, true, true, '', '', '', now()),
             (%(town_user)s, %(password)s, false, false, true, '', '', '', now());
    INSERT INTO dispatch_cadre (user_id, name, phone, agency)
      SELECT u.id, '驻村干部' || d.code, '', '' FROM dispatch_division d
      JOIN auth_user u ON u.username = 'bench_' || d.code WHERE d.tier = 'village';
    INSERT INTO dispatch_posting (cadre_id, kind, division_id, started_on, duties)
      SELECT c.id, 'village', d.code, date '2026-01-01', '[]'::jsonb FROM dispatch_division d
      JOIN auth_user u ON u.username = 'bench_' || d.code
      JOIN dispatch_cadre c ON c.user_id = u.id WHERE d.tier = 'village';
    INSERT INTO dispatch_membership (user_id, division_id, role)
      SELECT u.id, d.code, CASE WHEN d.tier = 'town' THEN 'office' ELSE 'leader' END
      FROM dispatch_division d JOIN auth_user u ON u.username = 'bench_' || d.code
      WHERE d.tier IN ('town', 'county', 'city');
    INSERT INTO dispatch_membership (user_id, division_id, role)
      SELECT id, %(town)s, 'office' FROM auth_user WHERE username = %(town_user)s;
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {"password": password, "admin": ADMIN_USER, "town_user": TOWN_USER, "town": TOWN},
        )


# Per row g: r = a pseudo-random 0..99 deciding state and tier; the village by a
# multiplicative hash of g, so every village has issues; found at a minute of the last year.
ISSUES_SQL = """
WITH v AS (SELECT array_agg(code ORDER BY code) AS a, count(*)::int AS n
           FROM dispatch_division WHERE tier = 'village'),
     c AS (SELECT array_agg(id ORDER BY id) AS a, count(*)::int AS n FROM issues_category),
     rows AS (
       SELECT g,
              v.a[1 + (g * 2654435761 %% v.n)::int] AS village,
              c.a[1 + (g * 40503 %% c.n)::int] AS category,
              (g * 31337 %% 100)::int AS r,
              (g * 7919 %% 97)::int AS r2,
              %(now)s::timestamptz - ((g * 104729 %% 525600) * interval '1 minute') AS raised
       FROM generate_series(1::bigint, %(n)s::bigint) AS g, v, c),
     shaped AS (
       SELECT *,
         CASE WHEN r < 60 THEN 'resolved'
              WHEN r BETWEEN 80 AND 83 THEN 'assigned'
              WHEN r = 92 THEN 'claimed'
              ELSE 'open' END AS status,
         CASE WHEN r < 35 THEN 'village' WHEN r < 50 THEN 'town'
              WHEN r < 57 THEN 'county' WHEN r < 60 THEN 'city'
              WHEN r < 80 THEN 'village' WHEN r < 92 THEN 'town'
              WHEN r < 98 THEN 'county' ELSE 'city' END AS tier
       FROM rows),
     placed AS (
       SELECT s.*,
         CASE tier WHEN 'village' THEN village
                   WHEN 'town' THEN left(village, 9) || '000'
                   WHEN 'county' THEN left(village, 6) || '000000'
                   ELSE left(village, 4) || '00000000' END AS holder,
         CASE tier WHEN 'village' THEN 0 WHEN 'town' THEN 1
                   WHEN 'county' THEN 2 ELSE 3 END AS climbed,
         CASE tier WHEN 'village' THEN 3 WHEN 'town' THEN 7
                   WHEN 'county' THEN 15 ELSE 30 END AS days
       FROM shaped s)
INSERT INTO issues_issue (
  title, description, public_description, category_id, division_id, reporter_name,
  reporter_phone, raised_on, raised_at, tier, holder_id, peak_tier, status, department_id,
  claimed_by_id, arrived_at, due_at, escalation_count, returned_from, resolution, resolved_at,
  resolved_tier, resolved_on_spot, rating, supervised_at, version, handed_back_from,
  arbitrated, extension_count)
SELECT
  '问题' || g, '', '', category, village, '', '',
  (raised AT TIME ZONE 'Asia/Shanghai')::date, raised, tier, holder, tier, status,
  CASE WHEN status = 'assigned' THEN
    (SELECT min(id) FROM dispatch_department d WHERE d.division_id = holder) END,
  CASE WHEN status = 'claimed' THEN
    (SELECT u.id FROM auth_user u WHERE u.username = 'bench_' || holder) END,
  CASE WHEN status = 'resolved' OR tier = 'city' THEN raised + climbed * interval '5 days'
       ELSE greatest(raised, %(now)s::timestamptz - r2 %% days * interval '1 day') END,
  CASE WHEN status = 'resolved' THEN raised + (climbed * 5 + days) * interval '1 day'
       WHEN tier = 'city' THEN least(raised + (climbed * 5 + days) * interval '1 day',
                                     %(now)s::timestamptz - interval '1 hour')
       ELSE greatest(raised, %(now)s::timestamptz - r2 %% days * interval '1 day')
            + days * interval '1 day' END,
  climbed, '[]'::jsonb,
  CASE WHEN status = 'resolved' THEN '已办结' ELSE '' END,
  CASE WHEN status = 'resolved' THEN raised + (climbed * 5 + r2 %% days) * interval '1 day'
                                              + interval '1 hour' END,
  CASE WHEN status = 'resolved' THEN tier ELSE '' END,
  status = 'resolved' AND r < 15,
  CASE WHEN status = 'resolved' AND r2 < 80 THEN 'satisfied'
       WHEN status = 'resolved' AND r2 < 90 THEN 'basically_satisfied' ELSE '' END,
  CASE WHEN status <> 'resolved' AND tier = 'city' THEN %(now)s::timestamptz END,
  1 + climbed, '[]'::jsonb, false, 0
FROM placed
"""

EVENTS_SQL = """
INSERT INTO issues_issueevent (issue_id, kind, tier_from, tier_to, reason, note, rating, at)
SELECT id, 'raised', '', 'village', '', '', '', raised_at FROM issues_issue;
INSERT INTO issues_issueevent (issue_id, kind, tier_from, tier_to, reason, note, rating, at)
SELECT i.id, 'escalated', t.lo, t.hi, 'overdue', '', '', i.raised_at + t.k * interval '5 days'
FROM issues_issue i
JOIN (VALUES (1, 'village', 'town'), (2, 'town', 'county'), (3, 'county', 'city'))
  AS t(k, lo, hi) ON t.k <= i.escalation_count;
INSERT INTO issues_issueevent (issue_id, kind, tier_from, tier_to, reason, note, rating, at)
SELECT id, CASE WHEN resolved_on_spot THEN 'resolved_on_spot' ELSE 'resolved' END,
       tier, tier, '', '', '', resolved_at
FROM issues_issue WHERE status = 'resolved';
"""


def _issues(n: int) -> None:
    from django.db import connection
    from django.utils import timezone

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(ISSUES_SQL, {"n": n, "now": now})
        cursor.execute(EVENTS_SQL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    setup_django()
    ensure(args.issues, rebuild=args.rebuild)
    print(f"{issue_count():,} issues in the bench database")


if __name__ == "__main__":
    main()
