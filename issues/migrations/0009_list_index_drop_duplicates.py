"""Indexes for a province: the lists' order gets its index, built concurrently on PostgreSQL
(a plain CREATE INDEX over millions of issues would block the sweep and every transition
while it builds, hence atomic = False); three indexes that repeated another's head are
dropped (each drop is a catalogue change, brief on any size); and the count-estimate function
the paginator uses past its bound (common.db)."""

import django.db.models.deletion
from django.db import migrations, models

import common.db


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dispatch", "0002_membership_order"),
        ("issues", "0008_work_orders"),
    ]

    operations = [
        # The division FK's own `_like` index is the same index.
        migrations.RemoveIndex(model_name="issue", name="issue_origin_like"),
        # The head of issue_holder_status.
        migrations.AlterField(
            model_name="issue",
            name="holder",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="held_issues",
                to="dispatch.division",
                verbose_name="holder",
            ),
        ),
        # The head of event_timeline.
        migrations.AlterField(
            model_name="issueevent",
            name="issue",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="issues.issue",
                verbose_name="issue",
            ),
        ),
        common.db.AddIndexConcurrentlyOnPostgres(
            model_name="issue",
            index=models.Index(fields=["-raised_at", "-id"], name="issue_list"),
        ),
        migrations.RunPython(
            common.db.install_count_estimate, common.db.remove_count_estimate, elidable=True
        ),
    ]
