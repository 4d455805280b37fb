"""Every spreadsheet leaving the system writes a formula-like text as text (OWASP CSV
injection): the API's CSV and XLSX, the admin's export and the meeting agenda."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from openpyxl import load_workbook

from common.tables import Table, write_csv, write_xlsx
from common.weeks import current_week
from meetings.services import convene_meeting

from ..issues.offices import issue_at_town, issue_at_village

PLANTED = [
    '=HYPERLINK("http://evil","点我")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
]


def xlsx_cells(content: bytes) -> list:
    """Every cell of the first sheet, with its type as a spreadsheet program reads it."""
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def assert_planted_as_text(cells, planted: str) -> None:
    # XML reads a carriage return back as a line feed.
    matching = [c for c in cells if c.value in (planted, planted.replace("\r", "\n"))]
    assert matching, f"{planted!r} not in the sheet"
    assert all(c.data_type == "s" for c in matching), [c.data_type for c in matching]


@pytest.mark.parametrize("planted", PLANTED)
def test_the_writer_keeps_formula_like_text_as_text(planted):
    table = Table(["title", "count"], [[planted, 3], ["plain", -4]])
    rows = list(csv.reader(io.StringIO(write_csv(table).decode("utf-8-sig"))))
    assert rows[1] == ["'" + planted, "3"]
    assert rows[2] == ["plain", "-4"]  # numbers stay numbers
    cells = xlsx_cells(write_xlsx(table))
    assert_planted_as_text(cells, planted)
    assert [c.value for c in cells if c.data_type == "n"] == [3, -4]


def test_api_exports_write_a_planted_title_as_text(client, village_cadre, town_office):
    planted = PLANTED[0]
    issue_at_village(village_cadre, planted)
    client.force_login(village_cadre)
    answer = client.get("/api/v1/issues/?format=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + planted
    answer = client.get("/api/v1/issues/?format=xlsx")
    assert_planted_as_text(xlsx_cells(answer.content), planted)


def test_admin_export_writes_a_planted_title_as_text(client, village_cadre, town_office):
    planted = PLANTED[1]
    issue = issue_at_village(village_cadre, planted)
    client.force_login(town_office)
    response = client.post(
        "/admin/issues/issue/", {"action": "export_xlsx", ACTION_CHECKBOX_NAME: [issue.pk]}
    )
    assert response.status_code == 200
    assert_planted_as_text(xlsx_cells(response.content), planted)


def test_meeting_agenda_writes_a_planted_title_as_text(client, village_cadre, town_office):
    planted = PLANTED[0]
    issue = issue_at_town(village_cadre, planted)
    meeting = convene_meeting(town=issue.holder, week=current_week())
    client.force_login(town_office)
    response = client.get(f"/meetings/{meeting.pk}/agenda.xlsx")
    assert response.status_code == 200
    assert_planted_as_text(xlsx_cells(response.content), planted)
