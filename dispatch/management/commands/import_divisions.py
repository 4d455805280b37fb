"""Load statistical division codes (统计用区划代码) from a CSV file.

    manage.py import_divisions data/divisions-shaoxing.csv

The file has the columns code,name,tier,parent_code (see ../shared/data/README.md). Every
row is checked before anything is written; one bad row rejects the whole file, and each bad
row is reported with its line number. A good file is upserted in one transaction: new codes
are created parents first, changed names are updated, and a second run changes nothing.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dispatch.models import (
    CODE_PATTERNS,
    TIERS,
    Division,
    Tier,
    ancestor_code,
    tier_above,
)

COLUMNS = ("code", "name", "tier", "parent_code")
NAME_MAX_LENGTH = Division._meta.get_field("name").max_length
# Codes per `code IN (...)` query: below SQLite's old 999-variable limit.
LOOKUP_BATCH = 900
WRITE_BATCH = 1000
_PATTERNS = {tier: re.compile(pattern) for tier, pattern in CODE_PATTERNS.items()}


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    name: str
    tier: str
    parent_code: str | None


def read_rows(path: Path) -> tuple[list[Row], list[str]]:
    """Parse and check every row of the file; return the good rows and the errors by line."""
    rows: list[Row] = []
    errors: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or any(c not in reader.fieldnames for c in COLUMNS):
            raise CommandError(f"{path}: the header must name the columns {','.join(COLUMNS)}")
        try:
            for record in reader:
                line = reader.line_num
                problem = _check(record, first_line)
                if problem:
                    errors.append((line, problem))
                    continue
                code = record["code"].strip()
                first_line[code] = line
                rows.append(
                    Row(
                        line=line,
                        code=code,
                        name=record["name"].strip(),
                        tier=record["tier"].strip(),
                        parent_code=(record["parent_code"] or "").strip() or None,
                    )
                )
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}, line {reader.line_num}: {exc}") from None
    errors.extend(_check_parents_exist(rows, set(first_line)))
    return rows, [f"line {line}: {problem}" for line, problem in sorted(errors)]


def _check(record: dict, first_line: dict[str, int]) -> str | None:
    if None in record or any(record.get(c) is None for c in COLUMNS):
        return "wrong number of columns"
    code = record["code"].strip()
    name = record["name"].strip()
    tier = record["tier"].strip()
    parent = record["parent_code"].strip()
    if tier not in TIERS:
        return f"tier {tier!r} is not one of {', '.join(TIERS)}"
    if not _PATTERNS[tier].match(code):
        return f"code {code!r} is not a {tier} code"
    if code in first_line:
        return f"code {code} already appears on line {first_line[code]}"
    if not name:
        return f"code {code} has no name"
    if len(name) > NAME_MAX_LENGTH:
        return f"name of {code} is longer than {NAME_MAX_LENGTH} characters"
    if tier == Tier.CITY:
        if parent:
            return f"city {code} must have no parent, not {parent}"
    else:
        expected = ancestor_code(code, tier_above(tier))
        if parent != expected:
            return f"parent of {code} must be {expected}, not {parent or 'empty'}"
    return None


def _check_parents_exist(rows: list[Row], in_file: set[str]) -> list[tuple[int, str]]:
    """Parents missing from the file must already be in the database."""
    wanted = {r.parent_code for r in rows if r.parent_code and r.parent_code not in in_file}
    found = set(_existing(wanted, "code"))
    return [
        (r.line, f"parent {r.parent_code} of {r.code} is neither in the file nor in the database")
        for r in rows
        if r.parent_code and r.parent_code not in in_file and r.parent_code not in found
    ]


def _existing(codes: set[str], *fields: str) -> list:
    ordered = sorted(codes)
    result: list = []
    for i in range(0, len(ordered), LOOKUP_BATCH):
        chunk = ordered[i : i + LOOKUP_BATCH]
        qs = Division.objects.filter(code__in=chunk).order_by()
        result.extend(qs.values_list(*fields, flat=len(fields) == 1))
    return result


def upsert(rows: list[Row]) -> tuple[int, int, int]:
    """Create new divisions and rename changed ones; return (created, updated, unchanged)."""
    names = dict(_existing({r.code for r in rows}, "code", "name"))
    # Parents before children, so every foreign key points at a row that exists.
    ordered = sorted(rows, key=lambda r: (-TIERS.index(r.tier), r.code))
    new = [
        Division(code=r.code, name=r.name, tier=r.tier, parent_id=r.parent_code)
        for r in ordered
        if r.code not in names
    ]
    changed = [
        Division(code=r.code, name=r.name)
        for r in ordered
        if r.code in names and names[r.code] != r.name
    ]
    with transaction.atomic():
        Division.objects.bulk_create(new, batch_size=WRITE_BATCH)
        Division.objects.bulk_update(changed, ["name"], batch_size=WRITE_BATCH)
    return len(new), len(changed), len(rows) - len(new) - len(changed)


class Command(BaseCommand):
    help = "Load division codes from a CSV file (code,name,tier,parent_code); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="CSV file with code,name,tier,parent_code")

    def handle(self, *args, path: Path, **options):
        rows, errors = read_rows(path)
        if errors:
            for error in errors:
                self.stderr.write(error)
            raise CommandError(f"{len(errors)} bad row(s) in {path}; nothing was written.")
        created, updated, unchanged = upsert(rows)
        self.stdout.write(
            f"Divisions from {path.name}: {created} created, {updated} updated, "
            f"{unchanged} unchanged."
        )
