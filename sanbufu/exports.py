"""Tables for spreadsheets: CSV (`Accept: text/csv` or `?format=csv`) and XLSX (`?format=xlsx`).

A view that can be exported answers with a `Table` when the accepted renderer is tabular;
these renderers write it. Anything else that reaches them (an error body) is written as a
two-column table, so a client asking for CSV still reads why its request failed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from rest_framework.renderers import BaseRenderer

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    title: str = "sanbufu"


def is_tabular(request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return isinstance(renderer, TabularRenderer)


def _cell(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def _as_table(data) -> Table:
    if isinstance(data, Table):
        return data
    if isinstance(data, dict):
        return Table(["field", "message"], [[k, str(v)] for k, v in data.items()])
    return Table(["message"], [[str(data)]])


class TabularRenderer(BaseRenderer):
    charset = None


class CSVRenderer(TabularRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        table = _as_table(data)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([_cell(v) for v in row])
        # A byte-order mark so that spreadsheet programs read the Chinese text as UTF-8.
        return ("\ufeff" + out.getvalue()).encode("utf-8")


class XLSXRenderer(TabularRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        from openpyxl import Workbook

        table = _as_table(data)
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=table.title[:31] or "sanbufu")
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
