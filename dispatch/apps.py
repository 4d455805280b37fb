from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "territory and people"
    default_auto_field = "django.db.models.BigAutoField"
