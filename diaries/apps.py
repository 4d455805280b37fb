from django.apps import AppConfig


class DiariesConfig(AppConfig):
    name = "diaries"
    default_auto_field = "django.db.models.BigAutoField"
