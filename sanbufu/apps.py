from django.apps import AppConfig


class SanbufuConfig(AppConfig):
    name = "sanbufu"

    def ready(self) -> None:
        from . import lockouts  # noqa: F401  (connects the lockout audit receiver)
