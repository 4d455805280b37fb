"""`field__ilike`: a case-insensitive LIKE whose pattern the caller builds. On PostgreSQL it is
`ILIKE`, which the issue table's trigram index (migration 0007) serves; Django's `icontains`
compares `UPPER(column)`, which that index does not. SQLite's LIKE already ignores ASCII case."""

from __future__ import annotations

from django.db import models


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` taken literally (escaped with a backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ILike(models.Lookup):
    lookup_name = "ilike"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        return f"{lhs} {operator} {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]


models.CharField.register_lookup(ILike)
models.TextField.register_lookup(ILike)
