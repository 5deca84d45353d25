from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"

    def ready(self):
        from . import checks  # noqa: F401  (system checks register on import)
        from .ops import prime_metrics
        from .servers.registry import connect_signals

        prime_metrics()
        connect_signals()
