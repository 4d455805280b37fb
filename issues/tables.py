"""Issues and statistics as tables, for every spreadsheet: the API's CSV and XLSX exports and
the admin's export action write the same columns through common.tables."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from common.tables import Table


def issue_table(rows) -> Table:
    headers = [
        pgettext_lazy("export", "id"),
        pgettext_lazy("export", "title"),
        pgettext_lazy("export", "category"),
        pgettext_lazy("export", "status"),
        pgettext_lazy("export", "tier"),
        pgettext_lazy("export", "origin"),
        pgettext_lazy("export", "grid"),
        pgettext_lazy("export", "holder"),
        pgettext_lazy("export", "department"),
        pgettext_lazy("export", "raised on"),
        pgettext_lazy("export", "recorded at"),
        pgettext_lazy("export", "due"),
        pgettext_lazy("export", "escalations"),
        pgettext_lazy("export", "resolved at"),
        pgettext_lazy("export", "resolution"),
        pgettext_lazy("export", "rating"),
    ]
    table = Table([str(h) for h in headers], title=str(pgettext_lazy("export", "issues")))
    for issue in rows:
        table.rows.append(
            [
                issue.pk,
                issue.title,
                str(issue.category),
                issue.get_status_display(),
                issue.get_tier_display(),
                f"{issue.division.code} {issue.division.name}",
                issue.grid.name if issue.grid else "",
                f"{issue.holder.code} {issue.holder.name}",
                issue.department.name if issue.department else "",
                issue.raised_on,
                issue.raised_at,
                issue.due_at,
                issue.escalation_count,
                issue.resolved_at,
                issue.resolution,
                issue.get_rating_display() if issue.rating else "",
            ]
        )
    return table


STAT_LABELS = [
    ("found", pgettext_lazy("export", "found")),
    # Every report, a merged group's each counted: 'found' counts the group's problem once.
    ("reports", pgettext_lazy("export", "reports")),
    ("resolved_on_spot", pgettext_lazy("export", "resolved on the spot")),
    ("resolved_in_grid", pgettext_lazy("export", "resolved within the grid")),
    ("reached.town", pgettext_lazy("export", "reached town")),
    ("reached.county", pgettext_lazy("export", "reached county")),
    ("reached.city", pgettext_lazy("export", "reached city")),
    ("resolved", pgettext_lazy("export", "resolved")),
    ("resolved_by_tier.village", pgettext_lazy("export", "resolved at village")),
    ("resolved_by_tier.town", pgettext_lazy("export", "resolved at town")),
    ("resolved_by_tier.county", pgettext_lazy("export", "resolved at county")),
    ("resolved_by_tier.city", pgettext_lazy("export", "resolved at city")),
    ("open", pgettext_lazy("export", "open")),
    ("overdue", pgettext_lazy("export", "overdue")),
    ("closure_rate", pgettext_lazy("export", "closure rate")),
    ("on_time_rate", pgettext_lazy("export", "on-time rate")),
    ("rated", pgettext_lazy("export", "rated")),
    ("followed_up", pgettext_lazy("export", "followed up")),
    ("satisfaction_rate", pgettext_lazy("export", "satisfaction rate")),
    ("redo_rate", pgettext_lazy("export", "redo rate")),
]


def stats_table(figures: dict) -> Table:
    table = Table(
        [str(pgettext_lazy("export", "figure")), str(pgettext_lazy("export", "value"))],
        title=str(pgettext_lazy("export", "statistics")),
    )
    table.rows.append([str(pgettext_lazy("export", "within")), figures["within"] or ""])
    table.rows.append([str(pgettext_lazy("export", "since")), figures["since"]])
    table.rows.append([str(pgettext_lazy("export", "until")), figures["until"]])
    for key, label in STAT_LABELS:
        value = figures
        for part in key.split("."):
            value = value[part]
        table.rows.append([str(label), value])
    for row in figures.get("by_grid", []):
        label = f"{row['division_name']} {row['name']}"
        table.rows.append([f"{label}: {pgettext_lazy('export', 'found')}", row["found"]])
        table.rows.append(
            [
                f"{label}: {pgettext_lazy('export', 'resolved within the grid')}",
                row["resolved_in_grid"],
            ]
        )
    for row in figures["by_category"]:
        table.rows.append([f"{row['category']}: {pgettext_lazy('export', 'found')}", row["found"]])
        table.rows.append(
            [f"{row['category']}: {pgettext_lazy('export', 'resolved')}", row["resolved"]]
        )
    return table


UNIT_COLUMNS = [
    ("name", pgettext_lazy("assessment", "unit"), 24),
    ("assigned", pgettext_lazy("assessment", "assigned"), 8),
    ("acknowledged_on_time", pgettext_lazy("assessment", "acknowledged on time"), 10),
    ("unacknowledged_overdue", pgettext_lazy("assessment", "unacknowledged past the window"), 10),
    ("handed_back", pgettext_lazy("assessment", "handed back"), 8),
    ("extended", pgettext_lazy("assessment", "extended"), 8),
    ("resolved", pgettext_lazy("assessment", "resolved"), 8),
    ("resolved_on_time", pgettext_lazy("assessment", "resolved on time"), 10),
    (
        "resolved_on_time_without_extension",
        pgettext_lazy("assessment", "on time without extension"),
        10,
    ),
    ("supervision_orders", pgettext_lazy("assessment", "supervision orders"), 8),
    ("late_replies", pgettext_lazy("assessment", "late replies"), 8),
    ("rated", pgettext_lazy("assessment", "rated"), 8),
    ("satisfaction_rate", pgettext_lazy("assessment", "satisfaction rate"), 10),
    ("redo_rate", pgettext_lazy("assessment", "redo rate"), 10),
]


def unit_stats_table(rows: list[dict], *, within, level, since=None, until=None) -> Table:
    """The monthly assessment table (考核表) an office sends up: one row per unit."""
    period = f"{since or ''} – {until or ''}"
    heading = str(pgettext_lazy("assessment", "Assessment of %(within)s, %(period)s")) % {
        "within": within.name,
        "period": period,
    }
    table = Table(
        [str(label) for _key, label, _w in UNIT_COLUMNS],
        title=str(pgettext_lazy("assessment", "assessment")),
        heading=heading,
        widths=[w for _k, _l, w in UNIT_COLUMNS],
    )
    for row in rows:
        table.rows.append([row[key] for key, _label, _w in UNIT_COLUMNS])
    return table
