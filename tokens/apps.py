from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"

    def ready(self):
        # System checks, and the device_code grant with the token endpoint, register on import.
        from . import checks, device  # noqa: F401
