from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TokensConfig(AppConfig):
    name = "tokens"

    def ready(self):
        from . import checks  # noqa: F401  (system checks register on import)
        from .ops import prime_metrics
        from .servers.builtin import create_after_migrate
        from .servers.registry import connect_signals

        prime_metrics()
        connect_signals()
        # The built-in `default` server after every `migrate` and `flush` (tokens/servers/builtin.py).
        post_migrate.connect(create_after_migrate, sender=self, dispatch_uid="tokens.default_server")
