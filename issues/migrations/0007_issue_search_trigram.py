"""The keyword search of the issue lists (IssueQuerySet.search) on PostgreSQL: a trigram GIN
index over the text it reads, which serves `ILIKE '%word%'` for words of three characters or
more (one- and two-character words, common in Chinese, still read the visible rows). The
index is PostgreSQL's own and is not in the model's Meta; SQLite has nothing to build."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # issue list ?q= / search: title, description, reporter's name ILIKE '%word%', and the
    # reporter's phone ILIKE 'digits' (a whole number)
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS issue_search_trgm ON issues_issue USING gin "
    "(title gin_trgm_ops, description gin_trgm_ops, reporter_name gin_trgm_ops, "
    "reporter_phone gin_trgm_ops)",
]
DROP = ["DROP INDEX CONCURRENTLY IF EXISTS issue_search_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    # CONCURRENTLY: a province's issue table stays writable while the index is built, which
    # PostgreSQL allows only outside a transaction.
    atomic = False

    dependencies = [("issues", "0006_default_categories")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
