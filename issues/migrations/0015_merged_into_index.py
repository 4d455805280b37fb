from django.db import migrations, models

from common.migrations import AddIndexConcurrently


class Migration(migrations.Migration):
    # CONCURRENTLY: the issue table stays writable while the index is built.
    atomic = False

    dependencies = [("issues", "0014_issue_point_and_evidence_events")]

    operations = [
        AddIndexConcurrently(
            model_name="issue",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)),
                fields=["merged_into"],
                name="issue_merged_into",
            ),
        ),
    ]
