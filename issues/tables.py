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
    ("resolved_on_spot", pgettext_lazy("export", "resolved on the spot")),
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
    for row in figures["by_category"]:
        table.rows.append([f"{row['category']}: {pgettext_lazy('export', 'found')}", row["found"]])
        table.rows.append(
            [f"{row['category']}: {pgettext_lazy('export', 'resolved')}", row["resolved"]]
        )
    return table
