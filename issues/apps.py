from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("issues")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import lookups  # noqa: F401  (registers __ilike)
