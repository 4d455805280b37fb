"""Co-building statistics as a spreadsheet (common.tables)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from common.tables import Table

from .models import Contract, Kind, Project


def stats_table(figures: dict) -> Table:
    """One row per figure: the totals, then each step, kind and status."""
    table = Table(
        [str(pgettext_lazy("export", "figure")), str(pgettext_lazy("export", "value"))],
        title=str(pgettext_lazy("export", "co-building")),
    )
    rows = [
        (pgettext_lazy("export", "within"), figures["within"] or ""),
        (pgettext_lazy("export", "as of"), figures["as_of"]),
        (pgettext_lazy("export", "units with contracts"), figures["units_with_contracts"]),
        (pgettext_lazy("export", "contracts"), figures["contracts"]),
        *((Contract.Step(s).label, figures["contracts_by_step"][s]) for s in Contract.STEPS),
        (pgettext_lazy("export", "resources"), figures["resources"]),
        *((Kind(k).label, figures["resources_by_kind"][k]) for k in Kind.values),
        (pgettext_lazy("export", "co-building projects"), figures["projects"]),
        *(
            (Project.Status(s).label, figures["projects_by_status"][s])
            for s in Project.Status.values
        ),
        (pgettext_lazy("export", "part-time committee members"), figures["committee_members"]),
        (pgettext_lazy("export", "community needs"), figures["needs"]),
        (pgettext_lazy("export", "needs met"), figures["needs_met"]),
        (
            pgettext_lazy("export", "resolved with a co-building partner"),
            figures["resolved_with_partner"],
        ),
    ]
    table.rows.extend([str(label), value] for label, value in rows)
    return table
