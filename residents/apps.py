from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    """The resident's end of the loop (事事有回音): their issue's page behind a signed link,
    lookup by number and phone, rating, the offices' follow-up queue, and forgetting the
    reporter's personal data in time. Depends on issues."""

    name = "residents"
    verbose_name = _("residents")
