"""The last run of each scheduled task, which the readiness probe and the metrics read."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskRun(models.Model):
    """One row per scheduled task (settings.CELERY_BEAT_SCHEDULE), overwritten by each run
    when it ends: the sweep's row tells whether beat and a worker are alive, and how long the
    sweep took and how many issues it moved."""

    class State(models.TextChoices):
        SUCCESS = "success", _("succeeded")
        FAILURE = "failure", _("failed")

    task = models.CharField(_("task"), max_length=200, unique=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    duration = models.FloatField(_("duration (seconds)"))
    state = models.CharField(_("state"), max_length=7, choices=State.choices)
    result = models.JSONField(_("result"), null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("task run")
        verbose_name_plural = _("task runs")
        ordering = ["task"]

    def __str__(self) -> str:
        return self.task
