from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from . import signals  # noqa: F401  (auth_time on sign-in, sign-out events)
        from .builtin import create_after_migrate

        # The built-in Everyone group after every `migrate` and `flush` (accounts/builtin.py).
        post_migrate.connect(create_after_migrate, sender=self, dispatch_uid="accounts.everyone")
