"""The one table writer: a `Table` of headers and rows, written as CSV or XLSX.

Used by the API's export renderers, the admin's export action and the meeting agenda, so that
every spreadsheet leaving the system is written by the same rules:
- a text cell that a spreadsheet program would run as a formula (starting with =, +, -, @, a
  tab or a carriage return: the OWASP CSV-injection rule) is written as text — in CSV behind
  a leading apostrophe, in XLSX as a typed string cell, shown exactly as it was entered;
- moments are local time (Asia/Shanghai); CSV starts with a byte-order mark so spreadsheet
  programs read the Chinese as UTF-8.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XLSX refuses in a sheet's name; also kept out of file names.
UNSAFE_NAME = str.maketrans({c: "-" for c in "[]:*?/\\"})


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    # The sheet's name (at most 31 characters in XLSX).
    title: str = "sanbufu"
    # A line above the headers, in bold (XLSX only): what the sheet is.
    heading: str = ""
    # Column widths in characters and the columns whose text wraps (XLSX only).
    widths: list[int] = field(default_factory=list)
    wrap: tuple[int, ...] = ()


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _plain(value: Any) -> Any:
    """A cell's value as a spreadsheet holds it: numbers, dates and naive local moments."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | date):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return str(value)  # lazy translations and anything else


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if is_formula_like(value):
        return "'" + value
    return value


def write_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_csv_cell(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(table: Table) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(table.title or "sanbufu").translate(UNSAFE_NAME)[:31])
    for n, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")

    def cell(value: Any, *, bold: bool = False, column: int | None = None) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value=_plain(value))
        if is_formula_like(c.value):
            c.data_type = "s"  # openpyxl would store it as a formula
        if bold:
            c.font = Font(bold=True)
        if column in table.wrap:
            c.alignment = wrap
        return c

    if table.heading:
        heading = cell(table.heading)
        heading.font = Font(bold=True, size=14)
        sheet.append([heading])
    sheet.append([cell(h, bold=True) for h in table.headers])
    for row in table.rows:
        sheet.append([cell(v, column=n) for n, v in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def attachment(table: Table, filename: str, fmt: str = "xlsx"):
    """A download of `table` as an HttpResponse (pages and the admin)."""
    if fmt == "csv":
        response = HttpResponse(write_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(write_xlsx(table), content_type=XLSX_MEDIA_TYPE)
    # RFC 6266: a name outside ASCII goes as filename*=utf-8''…, so Chinese names survive.
    response["Content-Disposition"] = content_disposition_header(
        True, filename.translate(UNSAFE_NAME)
    )
    return response
