"""Time the similar-issue suggestion (一事一件: open issues of the same category, in the same
town, raised in the last 30 days, with a title like the one being raised) over a province of
1,000,000 issues on PostgreSQL.

    .venv/bin/python bench/bench_similar.py [--issues 1000000] [--runs 15] [--rebuild]

The database is `sanbufu_bench_similar` (BENCH_SIMILAR_DATABASE_URL overrides it), built once
by bench/province.py's builder (all of Zhejiang, a cadre in every village, the issues made by
`INSERT ... SELECT generate_series`) with one change: each issue's title is one of the
demo's problems with a variant word and a number, so that titles repeat and resemble each
other as real ones do, and the trigram comparison has real work. Kept afterwards, so a second
run only times. Each query is what `GET /api/v1/issues/similar/` runs for the town office
member of bench/province.py's town (`Issue.objects.visible_to(user).similar_to(...)`); the
median and best of several runs are printed with PostgreSQL's plan.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sanbufu_bench_similar"

# Problems heard in villages, each with words that vary from one report to the next.
TITLES = [
    "村口自来水管破裂",
    "雨后低洼处积水",
    "机耕路塌方",
    "路灯不亮",
    "垃圾清运不及时",
    "河道漂浮物",
    "危房改造申请",
    "医保缴费咨询",
    "居家养老上门服务",
    "宅基地边界纠纷",
    "设施农用地审批",
    "快递点设置",
    "工地夜间施工噪音扰民",
    "小区停车位不足",
    "学校门口交通拥堵",
    "农田灌溉渠堵塞",
]
VARIANTS = ["", "严重", "多次反映", "群众意见大", "三组", "东村", "急需处理", "再次发生"]
QUERIES = ["工地夜间施工噪音太大", "自来水管道破裂停水", "路灯坏了", "垃圾没人清运"]


def _title_sql() -> str:
    """A title per row g from TITLES and VARIANTS, with g's last digits: SQL, no parameters."""

    def array(items: list[str]) -> str:
        return "ARRAY[" + ", ".join("'" + s.replace("'", "''") + "'" for s in items) + "]"

    return (
        f"({array(TITLES)})[1 + (g * 48271 %% {len(TITLES)})::int] || "
        f"({array(VARIANTS)})[1 + (g * 16807 %% {len(VARIANTS)})::int] || (g %% 1000)::text"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    from bench import province

    province.setup_django(os.environ.get("BENCH_SIMILAR_DATABASE_URL", DEFAULT_URL))
    from django.contrib.auth import get_user_model
    from django.db import connection

    province.ISSUES_SQL = province.ISSUES_SQL.replace("'问题' || g", _title_sql())
    province.ensure(args.issues, rebuild=args.rebuild)

    from datetime import timedelta

    from django.utils import timezone

    from issues.models import Category, Issue

    user = get_user_model().objects.get(username=province.TOWN_USER)
    village = (
        Issue.objects.filter(division__code__startswith=province.TOWN[:9])
        .values_list("division_id", flat=True)
        .first()
    )
    print(
        f"{connection.vendor}: {province.issue_count():,} issues; the town {province.TOWN} "
        f"holds {Issue.objects.filter(division__code__startswith=province.TOWN[:9]).count():,}"
    )
    # The titles asked: a few fixed ones in two categories, and five open issues of the town's
    # last 30 days told again in other words (their last characters changed), each in its own
    # category, so that the suggestion has something to find.
    recent = list(
        Issue.objects.unresolved()
        .filter(
            division__code__startswith=province.TOWN[:9],
            raised_at__gte=timezone.now() - timedelta(days=30),
        )
        .select_related("category")
        .order_by("-raised_at")[:5]
    )
    asked = [(t, c) for t in QUERIES for c in Category.objects.order_by("code")[:2]]
    asked += [(i.title.rstrip("0123456789")[:-1] + "严重", i.category) for i in recent]
    for title, category in asked:
        timings = []
        for _ in range(args.runs):
            user.__dict__.pop("_sanbufu_jurisdiction", None)
            start = time.perf_counter()
            found = Issue.objects.visible_to(user).similar_to(
                division=village, category=category, title=title
            )
            timings.append(time.perf_counter() - start)
        best = [f"{i.title} ({i.similarity})" for i in found[:2]]
        print(
            f"similar {title!r} [{category.code}]: {len(found)} found {best}; median "
            f"{statistics.median(timings) * 1000:.1f} ms, best {min(timings) * 1000:.1f} ms"
        )
    # The plan of the last suggestion's query (the captured statement, its values inlined).
    from django.test.utils import CaptureQueriesContext

    user.__dict__.pop("_sanbufu_jurisdiction", None)
    Issue.objects.visible_to(user).count()  # the jurisdiction's queries, not shown
    with CaptureQueriesContext(connection) as queries:
        Issue.objects.visible_to(user).similar_to(division=village, category=category, title=title)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + queries[-1]["sql"])
        for (line,) in cursor.fetchall():
            print("    " + line)


if __name__ == "__main__":
    main()
