from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"

    def ready(self):
        from . import checks  # noqa: F401  (registers system checks)
