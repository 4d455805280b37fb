from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dispatch.models import Division, Tier

SHAOXING_CSV = Path(__file__).resolve().parents[2] / "data" / "divisions-shaoxing.csv"
HEADER = "code,name,tier,parent_code\n"
GOOD = (
    "330600000000,绍兴市,city,\n"
    "330603000000,柯桥区,county,330600000000\n"
    "330603008000,兰亭街道,town,330603000000\n"
    "330603008250,兰亭村,village,330603008000\n"
)


def run(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_divisions", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "divisions.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_import_loads_shaoxing_with_its_tree():
    out, _ = run(SHAOXING_CSV)

    assert "2278 created, 0 updated, 0 unchanged" in out
    assert Division.objects.count() == 2278
    assert Division.objects.filter(tier=Tier.COUNTY).count() == 6
    assert Division.objects.filter(tier=Tier.TOWN).count() == 103
    lanting = Division.objects.get(code="330603008250")
    assert (lanting.name, lanting.tier, lanting.parent_id) == ("兰亭村", "village", "330603008000")
    assert lanting.parent.parent.parent.code == "330600000000"
    assert Division.objects.within("330603008000").filter(code="330603008258").exists()


@pytest.mark.django_db
def test_import_twice_changes_nothing_the_second_time():
    run(SHAOXING_CSV)

    out, _ = run(SHAOXING_CSV)

    assert "0 created, 0 updated, 2278 unchanged" in out
    assert Division.objects.count() == 2278


@pytest.mark.django_db
def test_import_updates_only_renamed_divisions(tmp_path):
    run(write(tmp_path, GOOD))

    out, _ = run(write(tmp_path, GOOD.replace("兰亭村,", "兰亭新村,")))

    assert "0 created, 1 updated, 3 unchanged" in out
    assert Division.objects.get(code="330603008250").name == "兰亭新村"


@pytest.mark.django_db
def test_import_accepts_a_parent_already_in_the_database(tmp_path):
    run(write(tmp_path, GOOD))

    out, _ = run(write(tmp_path, "330603008258,谢家坞村,village,330603008000\n"))

    assert "1 created, 0 updated, 0 unchanged" in out


@pytest.mark.django_db
def test_import_accepts_children_before_parents_in_the_file(tmp_path):
    out, _ = run(write(tmp_path, "".join(reversed(GOOD.splitlines(keepends=True)))))

    assert "4 created" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("33060300800,短码村,village,330603008000", "is not a village code"),
        ("330603008000,错层村,village,330603008000", "is not a village code"),
        ("330603008259,某村,hamlet,330603008000", "tier 'hamlet'"),
        ("330603008259,某村,village,330602002000", "parent of 330603008259 must be 330603008000"),
        ("330603008259,某村,village,", "must be 330603008000, not empty"),
        ("330603008250,兰亭村,village,330603008000", "already appears on line 5"),
        ("330603008259,,village,330603008000", "has no name"),
        ("330603008259,某村,village", "wrong number of columns"),
        ("330603009001,某村,village,330603009000", "neither in the file nor in the database"),
    ],
)
def test_import_rejects_a_bad_row_by_line_and_writes_nothing(tmp_path, row, message):
    path = write(tmp_path, GOOD + row + "\n")
    err = StringIO()

    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_divisions", str(path), stdout=StringIO(), stderr=err)

    [reported] = err.getvalue().splitlines()
    assert reported.startswith("line 6: ")
    assert message in reported
    assert not Division.objects.exists()


@pytest.mark.django_db
def test_import_reports_a_bad_parent_in_the_middle_of_a_large_file(tmp_path):
    lines = SHAOXING_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = 1200  # 0-based index into lines; the file's line number is bad + 1
    code = lines[bad].split(",")[0]
    lines[bad] = f"{code},坏父级村,village,330699999000\n"
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines), encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_divisions", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        f"line {bad + 1}: parent of {code} must be {code[:9]}000, not 330699999000"
    ]
    assert not Division.objects.exists()


@pytest.mark.django_db
def test_import_reports_every_bad_row(tmp_path):
    body = GOOD + "330603008259,某村,hamlet,330603008000\n" + "3306,短,city,\n"
    err = StringIO()

    with pytest.raises(CommandError, match="2 bad row"):
        call_command("import_divisions", str(write(tmp_path, body)), stderr=err)

    assert [line.split(":")[0] for line in err.getvalue().splitlines()] == ["line 6", "line 7"]


def test_import_rejects_a_file_without_the_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("code,name\n330600000000,绍兴市\n", encoding="utf-8")

    with pytest.raises(CommandError, match="header"):
        call_command("import_divisions", str(path))


def test_import_rejects_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_divisions", str(tmp_path / "nope.csv"))


ZHEJIANG_CSV = SHAOXING_CSV.with_name("divisions-zhejiang.csv")


@pytest.mark.slow
@pytest.mark.django_db
def test_import_loads_all_of_zhejiang_and_a_second_run_changes_nothing():
    out, _ = run(ZHEJIANG_CSV)

    assert "27035 created, 0 updated, 0 unchanged" in out
    counts = {tier: Division.objects.filter(tier=tier).count() for tier in Tier.values}
    assert counts == {"city": 11, "county": 90, "town": 1387, "village": 25547}

    out, _ = run(ZHEJIANG_CSV)

    assert "0 created, 0 updated, 27035 unchanged" in out
    assert Division.objects.count() == 27035
